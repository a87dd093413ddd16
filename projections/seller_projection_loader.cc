#include "projections/seller_projection_loader.h"

#include "projections/order_facts.h"
#include "projections/response_times.h"
#include "projections/return_rows.h"
#include "projections/seller_meta.h"

namespace carelog {
namespace {

// Settings history rows: 's' '\x01' u64 len, marketplace, time(at), u64 seq.
void load_settings_history(std::string_view rest, std::string_view value, SellerProjection& out) {
  if (rest.size() < 8) return;
  const uint64_t len = read_u64(rest.data());
  rest.remove_prefix(8);
  if (len > rest.size() || rest.size() - len != 16) return;  // not a history row
  auto settings = return_rows::decode_settings(value);
  if (!settings) return;
  const std::string marketplace(rest.substr(0, len));
  out.settings[marketplace].history.push_back(
      SettingsChange{read_time(rest.data() + len), read_u64(rest.data() + len + 8), std::move(*settings)});
}

// Order history rows: 'h' 'E' order '\0' be64 seq -> hash; 'h' R|C|M|T id -> order.
void load_history(std::string_view key, std::string_view value, SellerProjection& out) {
  if (key.size() < 2) return;
  const char kind = key[1];
  std::string_view rest = key.substr(2);
  if (kind == 'E') {
    const size_t end = rest.find('\0');
    if (end == std::string_view::npos || rest.size() != end + 9) return;
    out.history[std::string(rest.substr(0, end))].push_back(read_u64(rest.data() + end + 1));
    return;
  }
  absl::flat_hash_map<std::string, std::string>* map = kind == 'R'   ? &out.history_return_order
                                                       : kind == 'C' ? &out.history_claim_order
                                                       : kind == 'M' ? &out.history_message_order
                                                       : kind == 'T' ? &out.history_thread_order
                                                                     : nullptr;
  if (map) (*map)[std::string(rest)] = std::string(value);
}

}  // namespace

bool load_seller_projection(const SellerRows& rows, SellerProjection& out) {
  auto meta = read_seller_meta(rows);
  if (!meta) return false;
  out.meta = *meta;
  rows.scan(std::string_view(), std::string_view("\x7f", 1), false,
            [&](std::string_view key, std::string_view value) {
              switch (key[0]) {
                case row_tag::kOrder: {
                  if (key.size() > 1 && key[1] == '\x01') break;  // a claim's order
                  OrderFacts o;
                  if (decode_order_facts(value, o)) out.orders.push_back(std::move(o));
                  break;
                }
                case row_tag::kMessage: {
                  StoredMessage m;
                  if (decode_message_row(value, m.row)) out.messages.push_back(std::move(m));
                  break;
                }
                case row_tag::kReturn: {
                  if (key.size() > 1 && key[1] == '\x02') {  // the counts row
                    return_rows::ReturnCounts counts;
                    if (return_rows::decode_return_counts(value, counts)) out.returns_latest = counts.latest;
                    break;
                  }
                  if (key.size() > 1 && key[1] >= '\x01' && key[1] <= '\x03') break;  // an order's rows
                  return_rows::ReturnRow x;
                  if (return_rows::decode_return(value, x)) out.returns.push_back(std::move(x));
                  break;
                }
                case row_tag::kSettings: {
                  if (key.size() > 1 && key[1] == '\x01') {
                    load_settings_history(key.substr(2), value, out);
                  } else if (auto s = return_rows::decode_settings(value)) {
                    out.settings[std::string(key.substr(1))].latest = std::move(*s);
                  }
                  break;
                }
                case row_tag::kHistory:
                  load_history(key, value, out);
                  break;
                default:
                  break;
              }
              return true;
            });
  // Rows come in key order: history seqs ascending per order; settings
  // changes by (length, marketplace, at, seq), so ascending per marketplace.
  out.rebuild_indexes();
  out.mark_written();
  return true;
}

}  // namespace carelog
