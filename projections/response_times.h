// Buyer-seller messages: the response-time table (spec/projections.md §1,
// « Temps de réponse aux messages Acheteurs - Vendeurs ») and the inbox (§3).
//
// The fold (MessagesProjection) writes one row per message, received or sent,
// keyed by occurred_at (row_tag::kMessage), an id index (kMessageById), and
// the instants of the seller's replies per thread (kThreadReply), so that
// "answered by T" and the response time are computed at query time for any
// as_of: a message is answered by the first seller reply (sender `seller`,
// never `seller_auto`) in its thread at or after its own occurred_at.
// no_response_needed is recorded with its own instant (it excludes the
// message from as_of = that instant on).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "projections/projection.h"

namespace carelog {

class MessagesProjection : public Projection {
 public:
  std::string_view name() const override { return "messages"; }
  std::string_view row_tags() const override { return "mMt"; }
  void apply(const AppliedEvent& e, SellerRowWriter& rows) override;
};

struct ResponseWindow {
  int days = 0;
  int64_t from = 0, to = 0;  // (from, to] in micros
  int64_t on_time = 0, late = 0, no_response = 0, pending = 0;
  std::optional<double> on_time_rate, late_rate;  // null when the denominator is 0
  int64_t late_count = 0;                         // late + no_response
  std::optional<int64_t> average_response_seconds;  // rounded half up
};

struct ResponseTimesReport {
  int64_t as_of = 0;
  std::array<ResponseWindow, 3> windows;  // 7, 30, 90 days
  int64_t unanswered_last_7_days = 0;
  bool ok = false;  // both 30-day targets hold: on_time rate > 0.90, late rate <= 0.10
};

// The windows of the table, in days.
inline constexpr int64_t kResponseWindowDays[3] = {7, 30, 90};

ResponseTimesReport compute_response_times(const SellerRows& rows, int64_t as_of_micros);

struct ReceivedFacts;
// Builds a report from the received messages of the widest window, each
// given once (in any order) with the first seller reply in its thread at or
// after it (nullopt: none yet). Messages outside (as_of - 90 d, as_of] and
// auto-replies must not be given.
class ResponseTimesBuilder {
 public:
  explicit ResponseTimesBuilder(int64_t as_of);
  void add(const ReceivedFacts& m, std::optional<int64_t> first_reply);
  ResponseTimesReport finish() const;

 private:
  struct Tally {
    int64_t on_time = 0, late = 0, no_response = 0, pending = 0;
    __int128 response_micros = 0;  // sum over the answered ones
  };
  int64_t as_of_;
  Tally tallies_[3];
};
// The JSON body of GET /v1/sellers/{id}/response-times (instants in UTC, "Z").
std::string response_times_json(const std::string& seller_id, const ResponseTimesReport& r);
// The seed's table: rows "Temps de réponse inférieur à 24 heures" (under 24 h), late, no
// response over 24 h, over 24 h, average (e.g. "1 day 14 hours", "13 hours 4 minutes").
std::string response_times_table(const std::string& seller_id, const ResponseTimesReport& r);
// "1 day 14 hours", "13 hours 4 minutes", "17 hours", "45 minutes", "-" for none.
std::string format_duration_words(std::optional<int64_t> seconds);

struct MessagesQuery {
  std::string q;                   // order id, asin or buyer alias (exact or substring)
  std::string direction = "all";   // received | sent | all
  std::optional<int64_t> from, to; // on occurred_at, inclusive
  int64_t limit = 50;              // 1..1000
  std::string cursor;              // from a previous page's next_cursor
  int64_t as_of = 0;               // statuses as they stood then; later messages hidden
};

// The JSON body of GET /v1/sellers/{id}/messages, newest first, or the
// parameter that is wrong (e.g. a cursor that does not decode).
std::variant<std::string, QueryError> messages_json(const SellerRows& rows,
                                                    const std::string& seller_id,
                                                    const MessagesQuery& q);

// ---- the rows, shared by the fold (messages.cc) and the table ----
// kMessage:     'm' + time(occurred_at) + direction byte + message_id -> MessageRow
// kMessageById: 'M' + direction byte + message_id -> its kMessage key
//               (received and sent ids are separate namespaces, spec/events.md)
// kThreadReply: 't' + u64 len + thread_id + time(at) + message_id -> "" per
//               seller reply (sender `seller` only); 't' + u64 len + thread_id
//               alone -> the kMessage key of the thread's earliest received
//               message (its buyer alias, order and asin label sent rows).
enum class MessageOutcome : uint8_t { kOnTime, kLate, kNoResponse, kPending, kExcluded };
std::string_view to_string(MessageOutcome);

struct MessageRow {
  bool received = true;  // false: sent
  std::string message_id, thread_id;
  int64_t at = 0;  // occurred_at, micros UTC
  std::optional<std::string> buyer_alias, order_id, asin, subject, in_reply_to;
  bool auto_reply = false;                       // received only
  Sender sender = Sender::kSeller;               // sent only
  std::optional<int64_t> no_response_needed_at;  // received only: earliest mark
  // The envelope's marketplace ("" in rows folded before it was kept): where
  // a seller's reply goes.
  std::string marketplace;
  // The log sequence number of the last event that changed this row (its
  // own, or the no-response mark; 0: folded before rows kept it).
  uint64_t version = 0;
};

bool decode_message_row(std::string_view bytes, MessageRow& out);
// The first seller reply in `thread_id` with occurred_at >= `from`, if any.
std::optional<int64_t> first_seller_reply(const SellerRows& rows, std::string_view thread_id,
                                          int64_t from);
// What a received message is at `as_of` (kExcluded for auto-replies and
// messages marked no_response_needed by then). When answered by as_of,
// `*response_micros` gets the response time.
MessageOutcome classify_received(const SellerRows& rows, const MessageRow& m, int64_t as_of,
                                 int64_t* response_micros);
// What classifying a received message reads of it.
struct ReceivedFacts {
  int64_t at = 0;
  bool auto_reply = false;
  std::optional<int64_t> no_response_needed_at;
};
// The same, given the first seller reply in its thread at or after m.at.
MessageOutcome classify_received(const ReceivedFacts& m, std::optional<int64_t> first_reply, int64_t as_of,
                                 int64_t* response_micros);

// ---- shared by the inbox over rows and over the in-memory projection ----
// The parameter of `q` that is wrong, if any; else `after` gets the key its
// cursor names ("" without one: the page starts below it).
std::optional<QueryError> check_messages_query(const MessagesQuery& q, std::string& after);
// The row key of a message: the listing's order, and its cursors.
std::string message_row_key(int64_t at, bool received, std::string_view message_id);
std::string encode_message_row(const MessageRow& m);
// The id index row of a message (-> its row key), and a thread's row (-> the
// row key of its earliest received message; with an instant and a message id
// appended, a seller reply's row).
std::string message_id_row_key(bool received, std::string_view message_id);
std::string thread_row_key(std::string_view thread_id);
// Labels a sent message with its buyer's alias and asin, and its order and
// subject when it has none, from `source`: the received message it replies
// to, else its thread's earliest one (if that existed at the query's as_of).
void label_sent_from(MessageRow& sent, const MessageRow& source);
// The listing's direction and text filters.
bool message_matches(const MessageRow& m, const MessagesQuery& q);
// One message of the listing as JSON; `status` null for a sent message.
// `version`: what a command's If-Match compares with (message_version).
void append_message_json(std::string& out, const MessageRow& m, std::optional<MessageOutcome> status,
                         uint64_t version);
// A message's version as its listing shows it: for a received one, the
// newest of its row's version and the versions of the seller's replies in
// its thread at or after it (a reply may answer it); a sent one's own.
uint64_t message_version(const SellerRows& rows, const MessageRow& m);

}  // namespace carelog
