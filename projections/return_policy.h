// The return policy: the window after delivery or shipping, holiday
// extensions and non-returnable categories, evaluated for one return request.
// Shared by the returns queue fold (its in_policy flag) and returns automation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "projections/order_facts.h"

namespace carelog {

// A holiday extension: orders shipped in [ship_from, ship_to] (month/day,
// inclusive) may be returned until return_until (month/day of the next year
// when it is before ship_from, else the same year).
struct HolidayExtension {
  int ship_from_month = 11, ship_from_day = 1;
  int ship_to_month = 12, ship_to_day = 31;
  int until_month = 1, until_day = 31;
};

struct ReturnsPolicy {
  int32_t default_window_days = 30;  // when the seller has no settings
  std::vector<std::string> non_returnable_categories = {"grocery", "custom"};
  // Default extension for every marketplace, and per-marketplace / per-year
  // overrides: year_overrides[marketplace][year of shipping].
  HolidayExtension holiday;
  std::map<std::string, HolidayExtension> marketplace_holiday;
  std::map<std::string, std::map<int, HolidayExtension>> year_overrides;
};

// Whether a request at `requested_at` for `order` is inside the policy: inside
// the window (`window_days` after delivery, or after shipping when no
// delivery is known), or inside the holiday extension for the order's ship
// date; and no requested item's category is non-returnable.
// Precisely: inside the window when requested_at <= start + window_days * 24 h
// (start = delivered_at, else shipped_at; with neither the window has not
// started, so the request is inside it). The extension applies when shipped_at
// (UTC calendar date) is in [ship_from, ship_to] and lasts through the whole
// UTC day return_until (requested_at < the next day's 00:00:00Z). Extension
// choice: year_overrides[marketplace][shipping year], else
// marketplace_holiday[marketplace], else `holiday`. Categories compare
// case-insensitively (ASCII); opened media/software cannot be told apart
// (a request carries no item condition), so those categories are returnable
// unless listed in non_returnable_categories. Unknown skus have no category.
bool in_return_policy(const ReturnsPolicy& policy, const OrderFacts& order,
                      const std::vector<std::string>& requested_skus, int32_t window_days,
                      int64_t requested_at);

}  // namespace carelog
