#include "projections/return_policy.h"
#include "projections/json_out.h"

#include <chrono>
#include <optional>
#include <string_view>

namespace carelog {
namespace {


std::chrono::year_month_day utc_date(int64_t micros) {
  using namespace std::chrono;
  return year_month_day{floor<days>(sys_time<microseconds>{microseconds{micros}})};
}

// The first instant of the UTC day after y-m-d (days past the month's end roll over).
int64_t start_of_next_day(int year, int month, int day) {
  using namespace std::chrono;
  const sys_days d =
      sys_days{std::chrono::year{year} / std::chrono::month{unsigned(month)} / 1} + days{day};
  return duration_cast<microseconds>(d.time_since_epoch()).count();
}

const HolidayExtension& holiday_for(const ReturnsPolicy& policy, const std::string& marketplace,
                                    int year) {
  if (auto m = policy.year_overrides.find(marketplace); m != policy.year_overrides.end()) {
    if (auto y = m->second.find(year); y != m->second.end()) return y->second;
  }
  if (auto m = policy.marketplace_holiday.find(marketplace);
      m != policy.marketplace_holiday.end()) {
    return m->second;
  }
  return policy.holiday;
}

bool in_holiday_extension(const ReturnsPolicy& policy, const OrderFacts& order,
                          int64_t requested_at) {
  if (!order.shipped_at) return false;
  const auto date = utc_date(*order.shipped_at);
  const int ship_year = static_cast<int>(date.year());
  const int md =
      static_cast<int>(unsigned(date.month())) * 100 + static_cast<int>(unsigned(date.day()));
  const HolidayExtension& h = holiday_for(policy, order.marketplace, ship_year);
  const int from = h.ship_from_month * 100 + h.ship_from_day;
  const int to = h.ship_to_month * 100 + h.ship_to_day;
  const int until = h.until_month * 100 + h.until_day;
  // A period that wraps the year end (from > to) started the year before
  // when the order shipped in its January part.
  int period_year = ship_year;
  if (from <= to) {
    if (md < from || md > to) return false;
  } else {
    if (md < from && md > to) return false;
    if (md <= to) period_year = ship_year - 1;
  }
  const int until_year = until < from ? period_year + 1 : period_year;
  return requested_at < start_of_next_day(until_year, h.until_month, h.until_day);
}

}  // namespace

bool in_return_policy(const ReturnsPolicy& policy, const OrderFacts& order,
                      const std::vector<std::string>& requested_skus, int32_t window_days,
                      int64_t requested_at) {
  for (const auto& sku : requested_skus) {
    for (const auto& item : order.items) {
      if (item.sku != sku) continue;
      const std::string category = lower_ascii(item.category);
      for (const auto& banned : policy.non_returnable_categories) {
        if (category == lower_ascii(banned)) return false;
      }
    }
  }
  // The window runs from delivery, else shipping; before either it has not
  // started, so it cannot have closed.
  const std::optional<int64_t> start = order.delivered_at ? order.delivered_at : order.shipped_at;
  if (!start || requested_at <= *start + int64_t{window_days} * kMicrosPerDay) return true;
  return in_holiday_extension(policy, order, requested_at);
}

}  // namespace carelog
