// Per-seller facts every query needs: the newest occurred_at the seller has
// (the default `as_of`, so answers do not drift with the wall clock), and
// whether the seller exists at all (404 otherwise).
#pragma once

#include <optional>

#include "projections/projection.h"

namespace carelog {

class SellerMetaProjection : public Projection {
 public:
  std::string_view name() const override { return "seller_meta"; }
  std::string_view row_tags() const override { return "z"; }
  void apply(const AppliedEvent& e, SellerRowWriter& rows) override;
};

struct SellerMeta {
  int64_t newest_micros = 0;   // max occurred_at over the seller's events
  int32_t newest_offset_minutes = 0;
  uint64_t events = 0;
};

std::optional<SellerMeta> read_seller_meta(const SellerRows& rows);
std::string seller_meta_row_key();
std::string encode_seller_meta(const SellerMeta& m);

}  // namespace carelog
