// The typed fold of one seller's events. Each fold below keeps exactly the
// facts the row fold of the same name keeps (order_facts.cc, messages.cc,
// returns_queue.cc, order_history.cc, seller_meta.cc), with the same rules
// for events in any log order, so that the queries over either give the same
// answers (a differential test checks it on generated feeds).
#include "projections/seller_projection.h"

#include <algorithm>

#include "projections/order_history.h"
#include "projections/seller_meta.h"

#include <absl/strings/string_view.h>

namespace carelog {

using return_rows::ReturnRow;
using return_rows::ReturnRowItem;

namespace {
// The maps' key type for a lookup without a copy (Debian's Abseil keeps its
// own string_view).
absl::string_view key(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace

// ---- index orders ----
bool MessageKeyLess::operator()(const MessageKey& a, const MessageKey& b) const {
  if (a.at != b.at) return a.at < b.at;
  if (a.sent != b.sent) return !a.sent;  // received ('r') before sent ('s')
  return (*messages)[a.index].row.message_id < (*messages)[b.index].row.message_id;
}
namespace {
unsigned char direction_byte(const MessageKey& k) { return k.sent ? 's' : 'r'; }
}  // namespace

bool MessageKeyLess::operator()(const MessageKey& a, const MessageProbe& b) const {
  if (a.at != b.at) return a.at < b.at;
  if (direction_byte(a) != b.direction) return direction_byte(a) < b.direction;
  return std::string_view((*messages)[a.index].row.message_id) < b.id;
}
bool MessageKeyLess::operator()(const MessageProbe& a, const MessageKey& b) const {
  if (a.at != b.at) return a.at < b.at;
  if (a.direction != direction_byte(b)) return a.direction < direction_byte(b);
  return a.id < std::string_view((*messages)[b.index].row.message_id);
}

bool ReturnKeyLess::operator()(const ReturnKey& a, const ReturnKey& b) const {
  if (a.at != b.at) return a.at < b.at;
  return (*returns)[a.index].return_id < (*returns)[b.index].return_id;
}
bool ReturnKeyLess::operator()(const ReturnKey& a, const ReturnProbe& b) const {
  if (a.at != b.at) return a.at < b.at;
  return std::string_view((*returns)[a.index].return_id) < b.id;
}
bool ReturnKeyLess::operator()(const ReturnProbe& a, const ReturnKey& b) const {
  if (a.at != b.at) return a.at < b.at;
  return a.id < std::string_view((*returns)[b.index].return_id);
}

SellerProjection::SellerProjection(std::string id)
    : seller_id(std::move(id)),
      messages_by_time(MessageKeyLess{&messages}),
      received_by_time(MessageKeyLess{&messages}),
      sent_by_time(MessageKeyLess{&messages}),
      returns_by_time(ReturnKeyLess{&returns}) {}

const OrderFacts* SellerProjection::order(std::string_view order_id) const {
  auto it = order_index.find(key(order_id));
  return it == order_index.end() ? nullptr : &orders[it->second];
}

const ReturnRow* SellerProjection::return_request(std::string_view return_id) const {
  auto it = return_index.find(key(return_id));
  return it == return_index.end() ? nullptr : &returns[it->second];
}

const StoredMessage* SellerProjection::received_message(std::string_view message_id) const {
  auto it = received_index.find(key(message_id));
  return it == received_index.end() ? nullptr : &messages[it->second];
}

const ReturnSettings* SellerProjection::latest_settings(std::string_view marketplace) const {
  auto it = settings.find(std::string(marketplace));
  return it == settings.end() ? nullptr : &it->second.latest;
}

void SellerProjection::apply(const AppliedEvent& e, const ReturnsPolicy& policy) {
  const Event& ev = e.event;
  // seller meta: the newest instant (the first of equal ones) and the count
  if (meta.events == 0 || ev.occurred_at.micros > meta.newest_micros) {
    meta.newest_micros = ev.occurred_at.micros;
    meta.newest_offset_minutes = ev.occurred_at.offset_minutes;
  }
  ++meta.events;
  meta_changed_ = true;
  fold_order(ev);
  fold_messages(ev, e.seq);
  fold_returns(ev, e.seq, policy);
  fold_history(ev, e.seq, e.hash);
}

// ---- orders (order_facts.cc) ----
void SellerProjection::fold_order(const Event& ev) {
  const int64_t at = ev.occurred_at.micros;
  // The order, recorded as changed (every event that finds it changes it).
  std::optional<uint32_t> touched;
  auto find = [&](const std::string& order_id) -> OrderFacts* {
    auto it = order_index.find(order_id);
    if (it == order_index.end()) return nullptr;
    changed_orders_.insert(it->second);
    touched = it->second;
    return &orders[it->second];
  };
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, OrderPlaced>) {
          OrderFacts o;
          o.order_id = d.order_id;
          o.buyer_id = d.buyer_id;
          o.marketplace = ev.marketplace;
          o.currency = d.items.empty() ? "" : d.items.front().item_price.currency;
          o.placed_at = at;
          o.latest_ship_date = d.latest_ship_date.micros;
          o.latest_delivery_date = d.latest_delivery_date.micros;
          for (const auto& i : d.items) {
            o.items.push_back({i.sku, i.asin, i.title, i.category, i.quantity, i.item_price.cents});
            o.paid_cents += i.item_price.cents * i.quantity;
          }
          auto [it, inserted] = order_index.try_emplace(d.order_id, static_cast<uint32_t>(orders.size()));
          if (!inserted) return;  // the domain rules reject a second order.placed
          orders.push_back(std::move(o));
          order_briefs.emplace_back();
          touched = it->second;
          orders_by_placed.insert(TimeKey{at, it->second});
        } else if constexpr (std::is_same_v<T, OrderShipped>) {
          if (OrderFacts* o = find(d.order_id)) {
            if (o->shipped_at && *o->shipped_at <= at) return;  // the earliest, whatever the log order
            const uint32_t index = order_index.find(d.order_id)->second;
            if (o->shipped_at) orders_by_shipped.erase(TimeKey{*o->shipped_at, index});
            o->shipped_at = at;
            orders_by_shipped.insert(TimeKey{at, index});
          }
        } else if constexpr (std::is_same_v<T, OrderDelivered>) {
          if (OrderFacts* o = find(d.order_id)) {
            if (!o->delivered_at || at < *o->delivered_at) o->delivered_at = at;
          }
        } else if constexpr (std::is_same_v<T, OrderCancelled>) {
          if (OrderFacts* o = find(d.order_id)) {
            o->cancelled_at = at;
            o->cancelled_by = d.cancelled_by;
          }
        } else if constexpr (std::is_same_v<T, RefundIssued>) {
          if (OrderFacts* o = find(d.order_id)) {
            o->refunded_cents += d.amount.cents;
            o->refunds.push_back({d.refund_id, d.return_id, at, d.amount.cents, d.refund_kind});
            refund_order[d.refund_id] = *touched;
          }
        } else if constexpr (std::is_same_v<T, FeedbackReceived>) {
          if (OrderFacts* o = find(d.order_id)) {
            o->feedback.push_back({d.feedback_id, d.rating, at});
            feedback_order[d.feedback_id] = *touched;
          }
        } else if constexpr (std::is_same_v<T, ClaimFiled>) {
          if (OrderFacts* o = find(d.order_id)) {
            o->claims.push_back({d.claim_id, d.kind, at, std::nullopt, std::nullopt});
            claim_order[d.claim_id] = order_index.find(d.order_id)->second;
            new_claims_.emplace_back(d.claim_id, d.order_id);
          }
        } else if constexpr (std::is_same_v<T, ClaimDecided>) {
          auto it = claim_order.find(d.claim_id);
          if (it == claim_order.end()) return;
          changed_orders_.insert(it->second);
          touched = it->second;
          for (auto& c : orders[it->second].claims) {
            if (c.claim_id == d.claim_id) {
              c.outcome = d.outcome;
              c.decided_at = at;
            }
          }
        }
      },
      ev.data);
  if (touched) refresh_order_brief(*touched);
}

void SellerProjection::refresh_order_brief(uint32_t index) {
  const OrderFacts& o = orders[index];
  OrderBrief& b = order_briefs[index];
  b.placed_at = o.placed_at;
  b.latest_ship_date = o.latest_ship_date;
  b.shipped_at = o.shipped_at.value_or(kMaxTime);
  b.cancelled_at = o.cancelled_at.value_or(kMaxTime);
  b.cancelled_by_seller = o.cancelled_by == CancelledBy::kSeller;
  b.may_be_defective = !o.feedback.empty() || !o.claims.empty();
}

void SellerProjection::refresh_message_brief(uint32_t index) {
  const StoredMessage& m = messages[index];
  ReceivedBrief& b = message_briefs[index];
  b.at = m.row.at;
  b.first_reply = m.first_reply.value_or(kMaxTime);
  b.no_response_needed_at = m.row.no_response_needed_at.value_or(kMaxTime);
  b.auto_reply = m.row.auto_reply;
}

// ---- messages (messages.cc) ----
void SellerProjection::index_message(uint32_t index) {
  const StoredMessage& m = messages[index];
  const MessageKey key{m.row.at, index, !m.row.received};
  messages_by_time.insert(key);
  (m.row.received ? received_by_time : sent_by_time).insert(key);
}

void SellerProjection::fold_messages(const Event& ev, uint64_t seq) {
  const int64_t at = ev.occurred_at.micros;
  auto thread_of = [&](const std::string& thread_id) -> uint32_t {
    auto [it, inserted] = thread_index.try_emplace(thread_id, static_cast<uint32_t>(threads.size()));
    if (inserted) threads.push_back(ThreadFacts{thread_id, {}, {}, std::nullopt, {}});
    return it->second;
  };
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, MessageReceived>) {
          const auto index = static_cast<uint32_t>(messages.size());
          if (!received_index.try_emplace(d.message_id, index).second) return;  // rejected by the rules
          StoredMessage m;
          m.row.received = true;
          m.row.marketplace = ev.marketplace;
          m.row.version = seq;
          m.row.message_id = d.message_id;
          m.row.thread_id = d.thread_id;
          m.row.at = at;
          m.row.buyer_alias = d.buyer_alias;
          m.row.order_id = d.order_id;
          m.row.asin = d.asin;
          m.row.subject = d.subject;
          m.row.auto_reply = d.auto_reply;
          m.thread = thread_of(d.thread_id);
          ThreadFacts& t = threads[m.thread];
          auto reply = std::lower_bound(t.seller_replies.begin(), t.seller_replies.end(), at);
          if (reply != t.seller_replies.end()) m.first_reply = *reply;
          t.received.push_back(index);
          messages.push_back(std::move(m));
          message_briefs.emplace_back();
          refresh_message_brief(index);
          // The thread's head: its earliest received message (the row key order).
          if (!t.head || MessageKeyLess{&messages}(MessageKey{at, index, false},
                                                    MessageKey{messages[*t.head].row.at, *t.head, false})) {
            t.head = index;
            changed_threads_.insert(messages[index].thread);
          }
          index_message(index);
        } else if constexpr (std::is_same_v<T, MessageSent>) {
          const auto index = static_cast<uint32_t>(messages.size());
          if (!sent_index.try_emplace(d.message_id, index).second) return;  // rejected by the rules
          StoredMessage m;
          m.row.received = false;
          m.row.marketplace = ev.marketplace;
          m.row.version = seq;
          m.row.message_id = d.message_id;
          m.row.thread_id = d.thread_id;
          m.row.at = at;
          m.row.order_id = d.order_id;
          m.row.subject = d.subject;
          m.row.in_reply_to = d.in_reply_to;
          m.row.sender = d.sender;
          m.thread = thread_of(d.thread_id);
          const uint32_t thread = m.thread;
          messages.push_back(std::move(m));
          message_briefs.emplace_back();
          index_message(index);
          if (d.sender != Sender::kSeller) return;  // auto-responders answer nothing
          ThreadFacts& t = threads[thread];
          t.seller_sent.push_back(index);
          t.seller_replies.insert(std::upper_bound(t.seller_replies.begin(), t.seller_replies.end(), at), at);
          for (uint32_t r : t.received) {
            StoredMessage& received = messages[r];
            if (received.row.at <= at && (!received.first_reply || at < *received.first_reply)) {
              received.first_reply = at;
              refresh_message_brief(r);
            }
          }
        } else if constexpr (std::is_same_v<T, MessageNoResponseNeeded>) {
          auto it = received_index.find(d.message_id);
          if (it == received_index.end()) return;  // unknown message: rejected by the rules
          std::optional<int64_t>& mark = messages[it->second].row.no_response_needed_at;
          // Several marks: the earliest one excludes the message from then on.
          if (!mark || at < *mark) {
            mark = at;
            messages[it->second].row.version = seq;
            changed_messages_.insert(it->second);
            refresh_message_brief(it->second);
          }
        }
      },
      ev.data);
}

// ---- returns (returns_queue.cc) ----
void SellerProjection::index_return(uint32_t index) {
  returns_by_time.insert(ReturnKey{returns[index].requested_at, index});
}

void SellerProjection::count_return(const ReturnRow& x, int64_t sign) {
  // The status is piecewise constant in as_of, changing only at the
  // request's instants; one that lies before requested_at takes effect there
  // (a request is listed from its requested_at on).
  std::vector<int64_t> breaks = {x.requested_at};
  auto add = [&](const std::optional<int64_t>& t) {
    if (t && *t > x.requested_at) breaks.push_back(*t);
  };
  add(x.authorized_at);
  add(x.closed_at);
  add(x.cancelled_at);
  add(x.completed_at);
  std::sort(breaks.begin(), breaks.end());
  breaks.erase(std::unique(breaks.begin(), breaks.end()), breaks.end());
  size_t current = kReturnBuckets;  // none
  for (int64_t t : breaks) {
    const size_t bucket = return_rows::bucket_of(return_rows::view_at(x, t));
    if (bucket == current) continue;
    if (current != kReturnBuckets) return_statuses.add(t, current, -sign);
    return_statuses.add(t, bucket, sign);
    current = bucket;
  }
}

void SellerProjection::fold_returns(const Event& ev, uint64_t seq, const ReturnsPolicy& policy) {
  const int64_t at = ev.occurred_at.micros;
  // Applies `fn` to the request, its status transitions retracted before
  // and counted again after (the change may move any of them).
  auto update = [&](const std::string& return_id, auto&& fn) {
    auto it = return_index.find(return_id);
    if (it == return_index.end()) return;
    ReturnRow& x = returns[it->second];
    count_return(x, -1);
    if (fn(x)) {
      x.version = seq;
      changed_returns_.insert(it->second);
      returns_changed_ = true;
      returns_latest = std::max(returns_latest, at);
    }
    count_return(x, +1);
  };
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, ReturnRequested>) {
          const auto index = static_cast<uint32_t>(returns.size());
          if (!return_index.try_emplace(d.return_id, index).second) return;  // the rules reject a second one
          ReturnRow x;
          x.return_id = d.return_id;
          x.order_id = d.order_id;
          x.buyer_id = d.buyer_id;
          x.marketplace = ev.marketplace;
          x.requested_at = at;
          x.reason = d.reason;
          x.comment = d.comment;
          x.gift = d.gift;
          x.version = seq;
          const OrderFacts* o = order(d.order_id);
          std::vector<std::string> skus;
          for (const auto& i : d.items) {
            ReturnRowItem item{i.sku, i.asin, "", i.quantity};
            if (o) {
              for (const auto& oi : o->items) {
                if (oi.sku != i.sku) continue;
                item.title = oi.title;
                x.value_cents += oi.unit_cents * i.quantity;
                break;
              }
            }
            x.items.push_back(std::move(item));
            skus.push_back(i.sku);
          }
          if (o) {
            x.currency = o->currency;
            const ReturnSettings* s = latest_settings(ev.marketplace);
            const int32_t window = s ? s->return_window_days : policy.default_window_days;
            x.in_policy = in_return_policy(policy, *o, skus, window, at);
          }
          returns.push_back(std::move(x));
          order_returns[d.order_id].push_back(index);
          index_return(index);
          count_return(returns[index], +1);
          returns_changed_ = true;
          returns_latest = std::max(returns_latest, at);
        } else if constexpr (std::is_same_v<T, ReturnAuthorized>) {
          update(d.return_id, [&](ReturnRow& x) {
            if (x.authorized_at || x.terminal()) return false;
            x.authorized_at = at;
            x.authorized_by = d.authorized_by;
            x.rma = d.rma;
            x.address = d.return_address;
            x.label = d.label;
            return true;
          });
        } else if constexpr (std::is_same_v<T, ReturnClosed>) {
          update(d.return_id, [&](ReturnRow& x) {
            if (x.terminal()) return false;
            x.closed_at = at;
            x.closed_by = d.closed_by;
            x.close_reason = d.close_reason;
            return true;
          });
        } else if constexpr (std::is_same_v<T, ReturnCancelled>) {
          update(d.return_id, [&](ReturnRow& x) {
            if (x.terminal()) return false;
            x.cancelled_at = at;
            return true;
          });
        } else if constexpr (std::is_same_v<T, ReturnItemReceived>) {
          // (no status of its own: nothing to recount)
          auto it = return_index.find(d.return_id);
          if (it == return_index.end()) return;
          ReturnRow& x = returns[it->second];
          if (x.item_received_at) return;
          x.item_received_at = at;
          x.version = seq;
          changed_returns_.insert(it->second);
          returns_changed_ = true;
          returns_latest = std::max(returns_latest, at);
        } else if constexpr (std::is_same_v<T, RefundIssued>) {
          if (!d.return_id) return;
          update(*d.return_id, [&](ReturnRow& x) {
            x.refunds.push_back({d.refund_id, at, d.amount.cents, d.refund_kind});
            if (!x.closed_at && !x.cancelled_at) x.completed_at = return_rows::completion_instant(x);
            return true;
          });
        } else if constexpr (std::is_same_v<T, ReturnSettingsChanged>) {
          MarketplaceSettings& m = settings[ev.marketplace];
          m.latest = d;
          changed_settings_.insert(ev.marketplace);
          new_settings_.push_back(NewSettings{ev.marketplace, at, seq});
          SettingsChange change{at, seq, d};
          auto pos = std::upper_bound(m.history.begin(), m.history.end(), change,
                                      [](const SettingsChange& a, const SettingsChange& b) {
                                        return a.at != b.at ? a.at < b.at : a.seq < b.seq;
                                      });
          m.history.insert(pos, std::move(change));
        }
      },
      ev.data);
}

// ---- order history (order_history.cc) ----
void SellerProjection::fold_history(const Event& ev, uint64_t seq, const std::array<uint8_t, 32>& hash) {
  // (Pointers to ids of the event or to values of the maps: each map's
  // values stay in place until fold_history inserts into that map again.)
  auto lookup = [](const absl::flat_hash_map<std::string, std::string>& map,
                   const std::optional<std::string>& id) -> const std::string* {
    if (!id || id->empty()) return nullptr;
    auto it = map.find(*id);
    return it == map.end() ? nullptr : &it->second;
  };
  auto tie_message = [&](const std::string& message_id, const std::string& thread_id,
                         const std::string& order_id) {
    history_message_order[message_id] = order_id;
    new_history_ids_.emplace_back(history_row::kMessage, message_id);
    if (history_thread_order.try_emplace(thread_id, order_id).second) {  // the first order wins
      new_history_ids_.emplace_back(history_row::kThread, thread_id);
    }
  };
  std::string message_order;  // a message's order found through the maps tie_message writes
  const std::string* order_id = std::visit(
      [&](const auto& d) -> const std::string* {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, OrderPlaced> || std::is_same_v<T, OrderShipped> ||
                      std::is_same_v<T, OrderDelivered> || std::is_same_v<T, OrderCancelled> ||
                      std::is_same_v<T, RefundIssued> || std::is_same_v<T, FeedbackReceived>) {
          return &d.order_id;
        } else if constexpr (std::is_same_v<T, ReturnRequested>) {
          history_return_order[d.return_id] = d.order_id;
          new_history_ids_.emplace_back(history_row::kReturn, d.return_id);
          return &d.order_id;
        } else if constexpr (std::is_same_v<T, ClaimFiled>) {
          history_claim_order[d.claim_id] = d.order_id;
          new_history_ids_.emplace_back(history_row::kClaim, d.claim_id);
          return &d.order_id;
        } else if constexpr (std::is_same_v<T, ReturnAuthorized> || std::is_same_v<T, ReturnClosed> ||
                             std::is_same_v<T, ReturnCancelled> || std::is_same_v<T, ReturnItemReceived>) {
          return lookup(history_return_order, d.return_id);
        } else if constexpr (std::is_same_v<T, ClaimDecided>) {
          return lookup(history_claim_order, d.claim_id);
        } else if constexpr (std::is_same_v<T, MessageReceived> || std::is_same_v<T, MessageSent>) {
          const std::string* order = d.order_id ? &*d.order_id : nullptr;
          if constexpr (std::is_same_v<T, MessageSent>) {
            if (!order) order = lookup(history_message_order, d.in_reply_to);
          }
          if (!order) order = lookup(history_thread_order, d.thread_id);
          if (!order) return nullptr;
          message_order = *order;  // (tie_message writes the maps `order` may point into)
          tie_message(d.message_id, d.thread_id, message_order);
          return &message_order;
        } else if constexpr (std::is_same_v<T, MessageNoResponseNeeded>) {
          return lookup(history_message_order, d.message_id);
        } else if constexpr (std::is_same_v<T, NotificationRequested>) {
          if (const std::string* order = lookup(history_return_order, d.return_id)) return order;
          return lookup(history_message_order, d.message_id);
        } else {
          return nullptr;  // settings, erasure requests
        }
      },
      ev.data);
  if (!order_id || order_id->empty()) return;
  std::vector<uint64_t>& seqs = history[*order_id];
  if (seqs.empty() || seqs.back() < seq) {
    seqs.push_back(seq);  // (the usual case: folded in log order)
  } else {
    seqs.insert(std::upper_bound(seqs.begin(), seqs.end(), seq), seq);
  }
  new_history_.push_back(NewHistoryEvent{*order_id, seq, hash});
}

size_t SellerProjection::memory_bytes() const {
  auto str = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  auto opt = [&](const std::optional<std::string>& s) { return s ? str(*s) : 0; };
  size_t n = sizeof(*this) + str(seller_id);
  n += orders.capacity() * sizeof(OrderFacts);
  for (const auto& o : orders) {
    n += str(o.order_id) + str(o.buyer_id) + o.items.capacity() * sizeof(OrderItemFacts) +
         o.feedback.capacity() * sizeof(FeedbackFacts) + o.claims.capacity() * sizeof(ClaimFacts) +
         o.refunds.capacity() * sizeof(RefundFacts);
    for (const auto& i : o.items) n += str(i.sku) + str(i.asin) + str(i.title) + str(i.category);
  }
  n += order_briefs.capacity() * sizeof(OrderBrief) + message_briefs.capacity() * sizeof(ReceivedBrief);
  n += messages.capacity() * sizeof(StoredMessage);
  for (const auto& m : messages) {
    n += str(m.row.message_id) + str(m.row.thread_id) + opt(m.row.buyer_alias) + opt(m.row.order_id) +
         opt(m.row.asin) + opt(m.row.subject) + opt(m.row.in_reply_to);
  }
  n += threads.capacity() * sizeof(ThreadFacts);
  for (const auto& t : threads) {
    n += str(t.thread_id) + t.seller_replies.capacity() * 8 + (t.received.capacity() + t.seller_sent.capacity()) * 4;
  }
  n += returns.capacity() * sizeof(ReturnRow);
  for (const auto& x : returns) n += x.items.capacity() * sizeof(ReturnRowItem) + x.refunds.capacity() * 48;
  n += orders_by_placed.memory_bytes() + orders_by_shipped.memory_bytes() + messages_by_time.memory_bytes() +
       received_by_time.memory_bytes() + sent_by_time.memory_bytes() + returns_by_time.memory_bytes() +
       return_statuses.memory_bytes();
  // Hash maps: a key string, a value and a control byte a slot.
  n += (order_index.capacity() + received_index.capacity() + sent_index.capacity() + thread_index.capacity() +
        return_index.capacity() + claim_order.capacity() + refund_order.capacity() + feedback_order.capacity()) *
       (sizeof(std::string) + 5);
  n += history.capacity() * (sizeof(std::string) + sizeof(std::vector<uint64_t>) + 1);
  for (const auto& [order_id, seqs] : history) n += str(order_id) + seqs.capacity() * 8;
  n += (history_return_order.capacity() + history_claim_order.capacity() + history_message_order.capacity() +
        history_thread_order.capacity()) * (2 * sizeof(std::string) + 1);
  return n;
}

}  // namespace carelog
