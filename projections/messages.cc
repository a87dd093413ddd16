// The messages fold (rows described in response_times.h) and the inbox query
// of spec/projections.md §3.
//
// Everything that depends on the order of events is resolved at query time
// from instants: a reply row exists per seller reply, and whether it answers a
// message (and when) is decided by scanning the thread from the message's
// occurred_at. So the rows, and every answer, are the same whatever order the
// same set of events was logged in (the fold's only order-sensitive inputs,
// no_response_needed marks, always follow their message: the domain rules
// reject a mark for an unknown message).
#include <algorithm>
#include <cctype>
#include <limits>

#include "events/json_encoder.h"
#include "projections/response_times.h"
#include "projections/json_out.h"
#include "projections/row_codec.h"
#include "projections/seller_meta.h"

namespace carelog {

namespace {

constexpr uint8_t kMessageRowFormat = 1;
constexpr char kReceivedByte = 'r';
constexpr char kSentByte = 's';

}  // namespace

std::string message_row_key(int64_t at, bool received, std::string_view message_id) {
  std::string k(1, row_tag::kMessage);
  append_time(k, at);
  k.push_back(received ? kReceivedByte : kSentByte);
  k.append(message_id);
  return k;
}

std::string message_id_row_key(bool received, std::string_view message_id) {
  std::string k(1, row_tag::kMessageById);
  k.push_back(received ? kReceivedByte : kSentByte);
  k.append(message_id);
  return k;
}

// 't' + length + thread id: the thread's head row, and the prefix of its replies.
std::string thread_row_key(std::string_view thread_id) {
  std::string k(1, row_tag::kThreadReply);
  append_u64(k, thread_id.size());
  k.append(thread_id);
  return k;
}

std::string encode_message_row(const MessageRow& m) {
  std::string out;
  RowWriter w(out);
  w.u8(kMessageRowFormat);
  w.boolean(m.received);
  w.str(m.message_id);
  w.str(m.thread_id);
  w.i64(m.at);
  w.opt_str(m.buyer_alias);
  w.opt_str(m.order_id);
  w.opt_str(m.asin);
  w.opt_str(m.subject);
  w.opt_str(m.in_reply_to);
  w.boolean(m.auto_reply);
  w.u8(static_cast<uint8_t>(m.sender));
  w.opt_i64(m.no_response_needed_at);
  w.str(m.marketplace);  // (these two are absent from rows written before them: "", 0)
  w.i64(static_cast<int64_t>(m.version));
  return out;
}

namespace {

void fold_received(const MessageReceived& d, int64_t at, const std::string& marketplace, uint64_t seq,
                   SellerRowWriter& rows) {
  MessageRow m;
  m.marketplace = marketplace;
  m.version = seq;
  m.received = true;
  m.message_id = d.message_id;
  m.thread_id = d.thread_id;
  m.at = at;
  m.buyer_alias = d.buyer_alias;
  m.order_id = d.order_id;
  m.asin = d.asin;
  m.subject = d.subject;
  m.auto_reply = d.auto_reply;
  const std::string key = message_row_key(at, true, d.message_id);
  rows.put(key, encode_message_row(m));
  rows.put(message_id_row_key(true, d.message_id), key);
  // The thread's head: its earliest received message (key order = time order).
  const std::string head = thread_row_key(d.thread_id);
  auto current = rows.get(head);
  if (!current || key < *current) rows.put(head, key);
}

void fold_sent(const MessageSent& d, int64_t at, const std::string& marketplace, uint64_t seq,
               SellerRowWriter& rows) {
  MessageRow m;
  m.marketplace = marketplace;
  m.version = seq;
  m.received = false;
  m.message_id = d.message_id;
  m.thread_id = d.thread_id;
  m.at = at;
  m.order_id = d.order_id;
  m.subject = d.subject;
  m.in_reply_to = d.in_reply_to;
  m.sender = d.sender;
  const std::string key = message_row_key(at, false, d.message_id);
  rows.put(key, encode_message_row(m));
  rows.put(message_id_row_key(false, d.message_id), key);
  if (d.sender == Sender::kSeller) {
    std::string reply = thread_row_key(d.thread_id);
    append_time(reply, at);
    reply.append(d.message_id);
    rows.put(reply, "");
  }
}

void fold_no_response_needed(const MessageNoResponseNeeded& d, int64_t at, uint64_t seq, SellerRowWriter& rows) {
  auto key = rows.get(message_id_row_key(true, d.message_id));
  if (!key) return;  // unknown message: the domain rules reject it before us
  auto raw = rows.get(*key);
  MessageRow m;
  if (!raw || !decode_message_row(*raw, m)) return;
  // Several marks: the earliest one excludes the message from then on.
  if (m.no_response_needed_at && *m.no_response_needed_at <= at) return;
  m.no_response_needed_at = at;
  m.version = seq;
  rows.put(*key, encode_message_row(m));
}

}  // namespace

std::string_view to_string(MessageOutcome o) {
  switch (o) {
    case MessageOutcome::kOnTime:
      return "on_time";
    case MessageOutcome::kLate:
      return "late";
    case MessageOutcome::kNoResponse:
      return "no_response";
    case MessageOutcome::kPending:
      return "pending";
    case MessageOutcome::kExcluded:
      return "excluded";
  }
  return "excluded";
}

bool decode_message_row(std::string_view bytes, MessageRow& m) {
  RowReader r(bytes);
  if (r.u8() != kMessageRowFormat) return false;
  m.received = r.boolean();
  m.message_id = r.str();
  m.thread_id = r.str();
  m.at = r.i64();
  m.buyer_alias = r.opt_str();
  m.order_id = r.opt_str();
  m.asin = r.opt_str();
  m.subject = r.opt_str();
  m.in_reply_to = r.opt_str();
  m.auto_reply = r.boolean();
  const uint8_t sender = r.u8();
  if (sender > static_cast<uint8_t>(Sender::kSellerAuto)) return false;
  m.sender = static_cast<Sender>(sender);
  m.no_response_needed_at = r.opt_i64();
  m.marketplace.clear();
  m.version = 0;
  if (r.ok() && !r.at_end()) m.marketplace = r.str();
  if (r.ok() && !r.at_end()) m.version = static_cast<uint64_t>(r.i64());
  return r.ok() && r.at_end();
}

std::optional<int64_t> first_seller_reply(const SellerRows& rows, std::string_view thread_id,
                                          int64_t from) {
  const std::string prefix = thread_row_key(thread_id);
  std::string begin = prefix;
  append_time(begin, from);
  std::optional<int64_t> found;
  rows.scan(begin, prefix_end(prefix), false, [&](std::string_view key, std::string_view) {
    if (key.size() < prefix.size() + 8) return true;  // not a reply row
    found = read_time(key.data() + prefix.size());
    return false;
  });
  return found;
}

MessageOutcome classify_received(const SellerRows& rows, const MessageRow& m, int64_t as_of,
                                 int64_t* response_micros) {
  if (m.auto_reply) return MessageOutcome::kExcluded;  // (no reply lookup needed)
  return classify_received(ReceivedFacts{m.at, m.auto_reply, m.no_response_needed_at},
                           first_seller_reply(rows, m.thread_id, m.at), as_of, response_micros);
}

MessageOutcome classify_received(const ReceivedFacts& m, std::optional<int64_t> reply, int64_t as_of,
                                 int64_t* response_micros) {
  if (m.auto_reply) return MessageOutcome::kExcluded;
  if (m.no_response_needed_at && *m.no_response_needed_at <= as_of) {
    return MessageOutcome::kExcluded;
  }
  if (reply && *reply <= as_of) {
    const int64_t response = *reply - m.at;
    if (response_micros) *response_micros = response;
    return response <= kMicrosPerDay ? MessageOutcome::kOnTime : MessageOutcome::kLate;
  }
  return as_of - m.at > kMicrosPerDay ? MessageOutcome::kNoResponse : MessageOutcome::kPending;
}

void MessagesProjection::apply(const AppliedEvent& e, SellerRowWriter& rows) {
  const int64_t at = e.event.occurred_at.micros;
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, MessageReceived>) {
          fold_received(d, at, e.event.marketplace, e.seq, rows);
        } else if constexpr (std::is_same_v<T, MessageSent>) {
          fold_sent(d, at, e.event.marketplace, e.seq, rows);
        } else if constexpr (std::is_same_v<T, MessageNoResponseNeeded>) {
          fold_no_response_needed(d, at, e.seq, rows);
        }
      },
      e.event.data);
}

// ---- the inbox ----
void label_sent_from(MessageRow& m, const MessageRow& source) {
  m.buyer_alias = source.buyer_alias;
  m.asin = source.asin;
  if (!m.order_id) m.order_id = source.order_id;
  if (!m.subject) m.subject = source.subject;
}

namespace {

std::optional<MessageRow> read_row_by_key(const SellerRows& rows, std::string_view key) {
  auto raw = rows.get(key);
  MessageRow m;
  if (!raw || !decode_message_row(*raw, m)) return std::nullopt;
  return m;
}

// A sent row carries no buyer alias or asin of its own: take them (and the
// order and subject when it has none) from the message it replies to, else
// from the thread's earliest received message. Resolved at query time, so a
// reply logged before the buyer's message still gets them.
// Labels a sent message with its buyer's alias, asin, order and subject, taken
// from the message it answers or the thread's first buyer message, as long as
// that message existed at `as_of` (an answer never shows what came later).
void label_sent(const SellerRows& rows, MessageRow& m, int64_t as_of) {
  // The row a stored key points at, if it existed at as_of.
  auto existing = [&](const std::optional<std::string>& key) -> std::optional<MessageRow> {
    if (!key) return std::nullopt;
    std::optional<MessageRow> row = read_row_by_key(rows, *key);
    if (!row || row->at > as_of) return std::nullopt;
    return row;
  };
  std::optional<MessageRow> source;
  if (m.in_reply_to) source = existing(rows.get(message_id_row_key(true, *m.in_reply_to)));
  if (!source) source = existing(rows.get(thread_row_key(m.thread_id)));
  if (source) label_sent_from(m, *source);
}

}  // namespace

namespace {
bool contains_folded(const std::optional<std::string>& hay, std::string_view needle) {
  if (!hay) return false;
  auto eq = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  return std::search(hay->begin(), hay->end(), needle.begin(), needle.end(), eq) != hay->end();
}
}  // namespace

bool message_matches(const MessageRow& m, const MessagesQuery& q) {
  if (q.direction == "received" && !m.received) return false;
  if (q.direction == "sent" && m.received) return false;
  if (q.q.empty()) return true;
  return contains_folded(m.order_id, q.q) || contains_folded(m.asin, q.q) ||
         contains_folded(m.buyer_alias, q.q);
}


uint64_t message_version(const SellerRows& rows, const MessageRow& m) {
  uint64_t version = m.version;
  if (!m.received) return version;
  const std::string prefix = thread_row_key(m.thread_id);
  std::string begin = prefix;
  append_time(begin, m.at);
  rows.scan(begin, prefix_end(prefix), false, [&](std::string_view key, std::string_view) {
    if (key.size() <= prefix.size() + 8) return true;  // not a reply row
    const std::optional<std::string> reply_key = rows.get(message_id_row_key(false, key.substr(prefix.size() + 8)));
    if (!reply_key) return true;
    if (const std::optional<MessageRow> reply = read_row_by_key(rows, *reply_key)) {
      version = std::max(version, reply->version);
    }
    return true;
  });
  return version;
}

void append_message_json(std::string& out, const MessageRow& m, std::optional<MessageOutcome> status,
                         uint64_t version) {
  out += "{\"message_id\":";
  append_json_string(out, m.message_id);
  out += ",\"thread_id\":";
  append_json_string(out, m.thread_id);
  out += m.received ? ",\"direction\":\"received\"" : ",\"direction\":\"sent\"";
  out += ",\"occurred_at\":";
  append_json_string(out, format_rfc3339(Timestamp{m.at, 0}));
  out += ",\"buyer_alias\":";
  append_opt_json(out, m.buyer_alias);
  out += ",\"order_id\":";
  append_opt_json(out, m.order_id);
  out += ",\"asin\":";
  append_opt_json(out, m.asin);
  out += ",\"subject\":";
  append_opt_json(out, m.subject);
  out += ",\"status\":";
  if (status) {
    append_json_string(out, to_string(*status));
  } else {
    out += "null";
  }
  out += ",\"version\":" + std::to_string(version);
  out += '}';
}

std::optional<QueryError> check_messages_query(const MessagesQuery& q, std::string& after) {
  if (q.direction != "received" && q.direction != "sent" && q.direction != "all") {
    return QueryError{"direction", "direction must be received, sent or all"};
  }
  if (q.limit < 1 || q.limit > 1000) return QueryError{"limit", "limit must be 1..1000"};
  after.clear();
  if (!q.cursor.empty()) {
    if (!decode_cursor(q.cursor, after) || after.size() < 10 || after[0] != row_tag::kMessage) {
      return QueryError{"cursor", "not a cursor of this listing"};
    }
  }
  return std::nullopt;
}

std::variant<std::string, QueryError> messages_json(const SellerRows& rows,
                                                    const std::string& seller_id,
                                                    const MessagesQuery& q) {
  std::string after;  // the page starts below this key (exclusive)
  if (auto bad = check_messages_query(q, after)) return *bad;
  const int64_t as_of = q.as_of;  // resolved by the caller (default: the seller's newest instant)
  int64_t hi = as_of;  // inclusive upper bound on occurred_at
  if (q.to) hi = std::min(hi, *q.to);
  const int64_t lo = q.from.value_or(std::numeric_limits<int64_t>::min());

  std::string body;
  int64_t total = 0, listed = 0;
  std::string last_key;
  bool more = false;
  if (lo <= hi) {
    std::string begin(1, row_tag::kMessage), end(1, row_tag::kMessage);
    append_time(begin, lo);
    if (hi == std::numeric_limits<int64_t>::max()) {
      end = prefix_end(end);
    } else {
      append_time(end, hi + 1);
    }
    // A sent message's labels come from its thread (two reads): needed to
    // match a text query, otherwise only for the rows listed.
    const bool text_query = !q.q.empty();
    rows.scan(begin, end, true, [&](std::string_view key, std::string_view value) {
      MessageRow m;
      if (!decode_message_row(value, m)) return true;  // corrupt row: skip
      if (!m.received && text_query) label_sent(rows, m, as_of);
      if (!message_matches(m, q)) return true;
      ++total;
      if (!after.empty() && key >= after) return true;  // on an earlier page
      if (listed == q.limit) {
        more = true;
        return true;
      }
      if (!m.received && !text_query) label_sent(rows, m, as_of);
      if (listed) body += ',';
      append_message_json(body, m,
                          m.received ? std::optional(classify_received(rows, m, as_of, nullptr))
                                     : std::nullopt,
                          message_version(rows, m));
      ++listed;
      last_key.assign(key);
      return true;
    });
  }
  return listing_json(seller_id, total, more ? std::optional(last_key) : std::nullopt, "messages", body);
}

}  // namespace carelog
