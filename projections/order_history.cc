#include "projections/order_history.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/json_encoder.h"

// Rows (all under row_tag::kHistory; the second byte says which kind):
//   h E <order_id> \0 <seq, 8 bytes big-endian>  -> the record's 32-byte hash
//   h R <return_id>                              -> order_id
//   h C <claim_id>                               -> order_id
//   h M <message_id>                             -> order_id (messages tied to an order)
//   h T <thread_id>                              -> order_id (threads tied to an order)
// Order ids are digits and dashes, so the \0 ends them and one order's rows
// never interleave with another's ("1" vs "12").
//
// How an event finds its order:
//   order.*, refund.issued, feedback.received     data.order_id
//   return.requested, claim.filed                 data.order_id (and they record their id)
//   return.authorized/closed/cancelled/item_received, claim.decided: their id row
//   message.received / message.sent               data.order_id; else (sent) the message
//                                                 it replies to; else its thread's order
//   message.no_response_needed                    the message's order
//   notification.requested (derived)              its return's order, else its message's
//   seller.return_settings_changed                none
// A message tied to an order ties its thread (the first order wins), so later
// messages of that thread belong to the order too. Earlier messages of a thread
// that only later gets an order are not added retroactively.

namespace carelog {
namespace {

constexpr char kEventRow = 'E';
constexpr char kReturnRow = history_row::kReturn;
constexpr char kClaimRow = history_row::kClaim;
constexpr char kMessageRow = history_row::kMessage;
constexpr char kThreadRow = history_row::kThread;

std::string id_key(char kind, std::string_view id) { return history_id_row_key(kind, id); }

std::string events_prefix(std::string_view order_id) {
  std::string k{row_tag::kHistory, kEventRow};
  k.append(order_id);
  k.push_back('\0');
  return k;
}

std::optional<std::string> lookup(const SellerRowWriter& rows, char kind,
                                  const std::optional<std::string>& id) {
  if (!id || id->empty()) return std::nullopt;
  return rows.get(id_key(kind, *id));
}

// Records the message (and, if untied, its thread) under `order_id`.
void tie_message(SellerRowWriter& rows, const std::string& message_id, const std::string& thread_id,
                 const std::string& order_id) {
  rows.put(id_key(kMessageRow, message_id), order_id);
  const std::string thread = id_key(kThreadRow, thread_id);
  if (!rows.get(thread)) rows.put(thread, order_id);
}

// The order `e` belongs to, recording the ids it introduces; nullopt if none.
std::optional<std::string> resolve_order(const Event& ev, SellerRowWriter& rows) {
  return std::visit(
      [&](const auto& d) -> std::optional<std::string> {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, OrderPlaced> || std::is_same_v<T, OrderShipped> ||
                      std::is_same_v<T, OrderDelivered> || std::is_same_v<T, OrderCancelled> ||
                      std::is_same_v<T, RefundIssued> || std::is_same_v<T, FeedbackReceived>) {
          return d.order_id;
        } else if constexpr (std::is_same_v<T, ReturnRequested>) {
          rows.put(id_key(kReturnRow, d.return_id), d.order_id);
          return d.order_id;
        } else if constexpr (std::is_same_v<T, ClaimFiled>) {
          rows.put(id_key(kClaimRow, d.claim_id), d.order_id);
          return d.order_id;
        } else if constexpr (std::is_same_v<T, ReturnAuthorized> ||
                             std::is_same_v<T, ReturnClosed> ||
                             std::is_same_v<T, ReturnCancelled> ||
                             std::is_same_v<T, ReturnItemReceived>) {
          return rows.get(id_key(kReturnRow, d.return_id));
        } else if constexpr (std::is_same_v<T, ClaimDecided>) {
          return rows.get(id_key(kClaimRow, d.claim_id));
        } else if constexpr (std::is_same_v<T, MessageReceived> || std::is_same_v<T, MessageSent>) {
          std::optional<std::string> order = d.order_id;
          if constexpr (std::is_same_v<T, MessageSent>) {
            if (!order) order = lookup(rows, kMessageRow, d.in_reply_to);
          }
          if (!order) order = rows.get(id_key(kThreadRow, d.thread_id));
          if (order) tie_message(rows, d.message_id, d.thread_id, *order);
          return order;
        } else if constexpr (std::is_same_v<T, MessageNoResponseNeeded>) {
          return rows.get(id_key(kMessageRow, d.message_id));
        } else if constexpr (std::is_same_v<T, NotificationRequested>) {
          if (auto order = lookup(rows, kReturnRow, d.return_id)) return order;
          return lookup(rows, kMessageRow, d.message_id);
        } else {
          return std::nullopt;  // seller.return_settings_changed
        }
      },
      ev.data);
}

}  // namespace

std::string history_id_row_key(char kind, std::string_view id) {
  std::string k{row_tag::kHistory, kind};
  k.append(id);
  return k;
}

std::string history_event_row_key(std::string_view order_id, uint64_t seq) {
  std::string k = events_prefix(order_id);
  append_u64(k, seq);
  return k;
}

namespace {

void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
}

}  // namespace

void OrderHistoryProjection::apply(const AppliedEvent& e, SellerRowWriter& rows) {
  const std::optional<std::string> order_id = resolve_order(e.event, rows);
  if (!order_id || order_id->empty()) return;
  std::string key = events_prefix(*order_id);
  append_u64(key, e.seq);
  rows.put(key, std::string_view(reinterpret_cast<const char*>(e.hash.data()), e.hash.size()));
}

// "event" is the record's original envelope bytes, verbatim; null when
// envelope_at cannot produce them (e.g. the record is gone from the log).
std::optional<std::string> order_history_json(const SellerRows& rows, const std::string& seller_id,
                                              const std::string& order_id,
                                              const EnvelopeAt& envelope_at) {
  const std::string prefix = events_prefix(order_id);
  std::vector<HistoryEvent> events;
  rows.scan(prefix, prefix_end(prefix), false, [&](std::string_view key, std::string_view hash) {
    if (key.size() != prefix.size() + 8) return true;  // not one of ours: skip
    HistoryEvent e;
    e.seq = read_u64(key.data() + prefix.size());
    e.hash.assign(hash);
    if (envelope_at) e.envelope = envelope_at(e.seq);
    events.push_back(std::move(e));
    return true;
  });
  if (events.empty()) return std::nullopt;
  return order_history_json(seller_id, order_id, events);
}

std::string order_history_json(const std::string& seller_id, const std::string& order_id,
                               const std::vector<HistoryEvent>& events) {
  std::string list;
  for (const HistoryEvent& e : events) {
    if (!list.empty()) list += ',';
    list += "{\"seq\":" + std::to_string(e.seq) + ",\"hash\":\"";
    append_hex(list, e.hash);
    list += "\",\"event\":";
    list += e.envelope ? *e.envelope : "null";
    list += '}';
  }
  std::string out = "{\"seller_id\":";
  append_json_string(out, seller_id);
  out += ",\"order_id\":";
  append_json_string(out, order_id);
  out += ",\"events\":[" + list + "]}";
  return out;
}

}  // namespace carelog
