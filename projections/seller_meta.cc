#include "projections/seller_meta.h"

#include "projections/row_codec.h"

namespace carelog {

namespace {
const std::string kMetaKey(1, row_tag::kSellerMeta);
}

void SellerMetaProjection::apply(const AppliedEvent& e, SellerRowWriter& rows) {
  SellerMeta m;
  if (auto raw = rows.get(kMetaKey)) {
    RowReader r(*raw);
    m.newest_micros = r.i64();
    m.newest_offset_minutes = r.i32();
    m.events = static_cast<uint64_t>(r.i64());
  }
  if (m.events == 0 || e.event.occurred_at.micros > m.newest_micros) {
    m.newest_micros = e.event.occurred_at.micros;
    m.newest_offset_minutes = e.event.occurred_at.offset_minutes;
  }
  ++m.events;
  rows.put(kMetaKey, encode_seller_meta(m));
}

std::string seller_meta_row_key() { return kMetaKey; }

std::string encode_seller_meta(const SellerMeta& m) {
  std::string out;
  RowWriter w(out);
  w.i64(m.newest_micros);
  w.i32(m.newest_offset_minutes);
  w.i64(static_cast<int64_t>(m.events));
  return out;
}

std::optional<SellerMeta> read_seller_meta(const SellerRows& rows) {
  auto raw = rows.get(kMetaKey);
  if (!raw) return std::nullopt;
  RowReader r(*raw);
  SellerMeta m;
  m.newest_micros = r.i64();
  m.newest_offset_minutes = r.i32();
  m.events = static_cast<uint64_t>(r.i64());
  if (!r.ok()) return std::nullopt;
  return m;
}

}  // namespace carelog
