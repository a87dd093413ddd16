#include "projections/seller_projection_rows.h"

#include <algorithm>
#include <set>

#include "projections/order_facts.h"
#include "projections/order_history.h"
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

using return_rows::ReturnRow;

// ---- checkpoints: the rows the row folds would have written ----
void SellerProjection::write_changed_rows(SellerRowWriter& rows) {
  if (!meta_changed_) return;
  rows.put(seller_meta_row_key(), encode_seller_meta(meta));

  // Orders: new ones with their placed-time index row, changed ones.
  for (uint32_t i = written_.orders; i < orders.size(); ++i) {
    rows.put(order_placed_row_key(orders[i].placed_at, orders[i].order_id), "");
    changed_orders_.insert(i);
  }
  for (uint32_t i : changed_orders_) rows.put(order_key(orders[i].order_id), encode_order_facts(orders[i]));
  for (const auto& [claim_id, order_id] : new_claims_) rows.put(claim_order_row_key(claim_id), order_id);

  // Messages: new ones with their id index and reply rows, changed ones,
  // and the threads whose earliest received message changed.
  for (uint32_t i = written_.messages; i < messages.size(); ++i) {
    const MessageRow& m = messages[i].row;
    const std::string key = message_row_key(m.at, m.received, m.message_id);
    rows.put(message_id_row_key(m.received, m.message_id), key);
    if (!m.received && m.sender == Sender::kSeller) {
      std::string reply = thread_row_key(m.thread_id);
      append_time(reply, m.at);
      reply.append(m.message_id);
      rows.put(reply, "");
    }
    changed_messages_.insert(i);
  }
  for (uint32_t i : changed_messages_) {
    const MessageRow& m = messages[i].row;
    rows.put(message_row_key(m.at, m.received, m.message_id), encode_message_row(m));
  }
  for (uint32_t t : changed_threads_) {
    const ThreadFacts& thread = threads[t];
    const MessageRow& head = messages[*thread.head].row;
    rows.put(thread_row_key(thread.thread_id), message_row_key(head.at, true, head.message_id));
  }

  // Returns: new ones with their index rows and their order's rows, changed
  // ones, and the counts by final status.
  std::set<std::string> orders_with_new_returns;
  for (uint32_t i = written_.returns; i < returns.size(); ++i) {
    const ReturnRow& x = returns[i];
    std::string by_time = return_rows::time_prefix(x.requested_at);
    by_time.append(x.return_id);
    rows.put(by_time, "");
    rows.put(return_rows::order_returns_prefix(x.order_id) + x.return_id, "");
    orders_with_new_returns.insert(x.order_id);
    changed_returns_.insert(i);
  }
  for (const auto& order_id : orders_with_new_returns) {
    std::string listed;
    for (uint32_t i : order_returns.find(order_id)->second) return_rows::append_order_return(listed, returns[i].return_id);
    rows.put(return_rows::order_returns_key(order_id), listed);
  }
  for (uint32_t i : changed_returns_) rows.put(return_rows::return_key(returns[i].return_id), return_rows::encode_return(returns[i]));
  if (returns_changed_) {
    return_rows::ReturnCounts counts;
    counts.latest = returns_latest;
    for (const ReturnRow& x : returns) ++counts.by_bucket[return_rows::bucket_of(return_rows::view_at(x, kMaxTime))];
    rows.put(return_rows::return_counts_key(), return_rows::encode_return_counts(counts));
  }

  // Settings: the latest per changed marketplace, and every new change.
  for (const auto& marketplace : changed_settings_) {
    rows.put(return_rows::settings_key(marketplace), return_rows::encode_settings(settings[marketplace].latest));
  }
  for (const NewSettings& n : new_settings_) {
    const auto& history_of = settings[n.marketplace].history;
    auto it = std::find_if(history_of.begin(), history_of.end(),
                           [&](const SettingsChange& c) { return c.at == n.at && c.seq == n.seq; });
    rows.put(return_rows::settings_history_key(n.marketplace, n.at, n.seq), return_rows::encode_settings(it->settings));
  }

  // The order history.
  for (const NewHistoryEvent& e : new_history_) {
    rows.put(history_event_row_key(e.order_id, e.seq),
             std::string_view(reinterpret_cast<const char*>(e.hash.data()), e.hash.size()));
  }
  for (const auto& [kind, id] : new_history_ids_) {
    const auto& map = kind == history_row::kReturn   ? history_return_order
                      : kind == history_row::kClaim  ? history_claim_order
                      : kind == history_row::kMessage ? history_message_order
                                                      : history_thread_order;
    rows.put(history_id_row_key(kind, id), map.find(id)->second);
  }
  mark_written();
}

void SellerProjection::mark_written() {
  written_ = Watermarks{static_cast<uint32_t>(orders.size()), static_cast<uint32_t>(messages.size()),
                        static_cast<uint32_t>(returns.size())};
  meta_changed_ = returns_changed_ = false;
  changed_orders_.clear();
  changed_messages_.clear();
  changed_returns_.clear();
  changed_threads_.clear();
  new_claims_.clear();
  changed_settings_.clear();
  new_settings_.clear();
  new_history_.clear();
  new_history_ids_.clear();
}

// ---- after a load ----
void SellerProjection::rebuild_indexes() {
  order_index.clear();
  claim_order.clear();
  refund_order.clear();
  feedback_order.clear();
  orders_by_placed.clear();
  orders_by_shipped.clear();
  for (uint32_t i = 0; i < orders.size(); ++i) {
    const OrderFacts& o = orders[i];
    order_index.emplace(o.order_id, i);
    orders_by_placed.append_unsorted(TimeKey{o.placed_at, i});
    if (o.shipped_at) orders_by_shipped.append_unsorted(TimeKey{*o.shipped_at, i});
    for (const auto& c : o.claims) claim_order[c.claim_id] = i;
    for (const auto& f : o.refunds) refund_order[f.refund_id] = i;
    for (const auto& f : o.feedback) feedback_order[f.feedback_id] = i;
  }
  orders_by_placed.sort();
  orders_by_shipped.sort();
  order_briefs.assign(orders.size(), OrderBrief{});
  for (uint32_t i = 0; i < orders.size(); ++i) refresh_order_brief(i);

  received_index.clear();
  sent_index.clear();
  thread_index.clear();
  threads.clear();
  messages_by_time.clear();
  received_by_time.clear();
  sent_by_time.clear();
  MessageKeyLess message_less{&messages};
  for (uint32_t i = 0; i < messages.size(); ++i) {
    StoredMessage& m = messages[i];
    (m.row.received ? received_index : sent_index).emplace(m.row.message_id, i);
    auto [it, inserted] = thread_index.try_emplace(m.row.thread_id, static_cast<uint32_t>(threads.size()));
    if (inserted) threads.push_back(ThreadFacts{m.row.thread_id, {}, {}, std::nullopt, {}});
    m.thread = it->second;
    ThreadFacts& t = threads[m.thread];
    const MessageKey key{m.row.at, i, !m.row.received};
    if (m.row.received) {
      t.received.push_back(i);
      if (!t.head || message_less(key, MessageKey{messages[*t.head].row.at, *t.head, false})) t.head = i;
    } else if (m.row.sender == Sender::kSeller) {
      t.seller_replies.push_back(m.row.at);
      t.seller_sent.push_back(i);
    }
    messages_by_time.append_unsorted(key);
    (m.row.received ? received_by_time : sent_by_time).append_unsorted(key);
  }
  for (ThreadFacts& t : threads) {
    std::sort(t.seller_replies.begin(), t.seller_replies.end());
    for (uint32_t r : t.received) {
      StoredMessage& m = messages[r];
      auto reply = std::lower_bound(t.seller_replies.begin(), t.seller_replies.end(), m.row.at);
      m.first_reply = reply == t.seller_replies.end() ? std::nullopt : std::optional<int64_t>(*reply);
    }
  }
  messages_by_time.sort();
  received_by_time.sort();
  sent_by_time.sort();
  message_briefs.assign(messages.size(), ReceivedBrief{});
  for (uint32_t i = 0; i < messages.size(); ++i) refresh_message_brief(i);

  return_index.clear();
  order_returns.clear();
  returns_by_time.clear();
  return_statuses.clear();
  for (uint32_t i = 0; i < returns.size(); ++i) {
    return_index.emplace(returns[i].return_id, i);
    order_returns[returns[i].order_id].push_back(i);
    returns_by_time.append_unsorted(ReturnKey{returns[i].requested_at, i});
    count_return(returns[i], +1);
  }
  returns_by_time.sort();
}

}  // namespace carelog
