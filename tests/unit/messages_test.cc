// The inbox (spec/projections.md §3): rows, statuses as of a time, filters,
// newest-first pagination with cursors, and parameter errors. Events are
// decoded from JSON envelopes, as the engine receives them.
#include <gtest/gtest.h>

#include <vector>

#include "events/json_decoder.h"
#include "projections/memory_rows.h"
#include "projections/order_facts.h"
#include "projections/response_times.h"
#include "test_support.h"

namespace carelog::messages_test {
namespace {

using carelog::testing::envelope;

std::string received_data(const std::string& id, const std::string& thread,
                          const std::string& alias, const std::string& extra = "",
                          bool auto_reply = false) {
  return R"({"message_id":")" + id + R"(","thread_id":")" + thread +
         R"(","buyer_id":"BUYER-1","buyer_alias":")" + alias + R"(")" + extra +
         R"(,"subject":"Question )" + id + R"(","body":"Bonjour","auto_reply":)" +
         (auto_reply ? "true" : "false") + "}";
}

std::string sent_data(const std::string& id, const std::string& thread,
                      const std::string& extra = "", const std::string& sender = "seller") {
  return R"({"message_id":")" + id + R"(","thread_id":")" + thread + R"(")" + extra +
         R"(,"body":"Merci","sender":")" + sender + R"("})";
}

class MessagesTest : public ::testing::Test {
 protected:
  void feed(const std::string& json) {
    auto r = decoder_.decode(json);
    ASSERT_TRUE(r.ok()) << r.rejection().message << "\n" << json;
    AppliedEvent a{r.value(), 0, ++seq_, hash_};
    orders_.apply(a, rows_);
    messages_.apply(a, rows_);
  }
  // The seed's inbox: Kamelec's question about an order (answered after 2 h
  // by the seller, after an auto-responder), gerald.v's out-of-office, a
  // third buyer left unanswered, and a message marked no_response_needed.
  void seed_inbox() {
    feed(envelope("e1", "message.received",
                  received_data("r1", "th1", "Kamelec@marketplace.amazon.fr",
                                R"(,"order_id":"403-9930700-9360319","asin":"B00HELLOKT")"),
                  "2013-01-06T09:00:00Z"));
    feed(envelope("e2", "message.sent", sent_data("a1", "th1", "", "seller_auto"),
                  "2013-01-06T09:00:05Z"));
    feed(envelope("e3", "message.sent", sent_data("s1", "th1", R"(,"in_reply_to":"r1")"),
                  "2013-01-06T11:00:00Z"));
    feed(envelope("e4", "message.received",
                  received_data("r2", "th2", "gerald.v@marketplace.amazon.fr", "", true),
                  "2013-01-06T12:00:00Z"));
    feed(envelope("e5", "message.received",
                  received_data("r3", "th3", "x8k2@marketplace.amazon.fr",
                                R"(,"order_id":"171-1234567-7654321","asin":"B00OTHER01")"),
                  "2013-01-07T08:00:00Z"));
    feed(envelope("e6", "message.received",
                  received_data("r4", "th4", "Thanks@marketplace.amazon.fr"),
                  "2013-01-07T09:00:00Z"));
    feed(envelope("e7", "message.no_response_needed", R"({"message_id":"r4"})",
                  "2013-01-07T09:30:00Z"));
  }
  std::string query(MessagesQuery q) {
    auto out = messages_json(rows_, "A2SELLER0001", q);
    if (auto* e = std::get_if<QueryError>(&out)) return "ERROR " + e->parameter;
    return std::get<std::string>(out);
  }
  static int64_t at(const std::string& rfc3339) {
    JsonDecoder d;
    auto r =
        d.decode(envelope("t", "message.no_response_needed", R"({"message_id":"x"})", rfc3339));
    return r.value().occurred_at.micros;
  }
  static std::vector<std::string> ids(const std::string& json) {
    std::vector<std::string> out;
    const std::string key = "\"message_id\":\"";
    for (size_t p = json.find(key); p != std::string::npos; p = json.find(key, p + 1)) {
      const size_t b = p + key.size();
      out.push_back(json.substr(b, json.find('"', b) - b));
    }
    return out;
  }

  JsonDecoder decoder_;
  MemoryRows rows_;
  OrderFactsProjection orders_;
  MessagesProjection messages_;
  uint64_t seq_ = 0;
  std::array<uint8_t, 32> hash_{};
};

TEST_F(MessagesTest, ListsNewestFirstWithStatusesAsOfTheQuery) {
  seed_inbox();
  MessagesQuery q;
  q.as_of = at("2013-01-08T12:00:00Z");
  const std::string json = query(q);
  EXPECT_EQ(ids(json), (std::vector<std::string>{"r4", "r3", "r2", "s1", "a1", "r1"}));
  EXPECT_NE(json.find(R"({"seller_id":"A2SELLER0001","total":6,"next_cursor":null,"messages":[)"),
            std::string::npos)
      << json;
  // r3: unanswered for 28 h -> no_response; r4: marked -> excluded; r2 auto-reply.
  EXPECT_NE(json.find(R"({"message_id":"r3","thread_id":"th3","direction":"received",)"
                      R"("occurred_at":"2013-01-07T08:00:00Z",)"
                      R"("buyer_alias":"x8k2@marketplace.amazon.fr",)"
                      R"("order_id":"171-1234567-7654321","asin":"B00OTHER01",)"
                      R"("subject":"Question r3","status":"no_response","version":)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("message_id":"r4",)"), std::string::npos);
  EXPECT_NE(json.find(R"("subject":"Question r4","status":"excluded","version":)"), std::string::npos);
  EXPECT_NE(json.find(R"("subject":"Question r2","status":"excluded","version":)"), std::string::npos);
  EXPECT_NE(json.find(R"("subject":"Question r1","status":"on_time","version":)"), std::string::npos);
  // A sent row takes alias, asin, order and subject from the message it answers.
  EXPECT_NE(json.find(R"({"message_id":"s1","thread_id":"th1","direction":"sent",)"
                      R"("occurred_at":"2013-01-06T11:00:00Z",)"
                      R"("buyer_alias":"Kamelec@marketplace.amazon.fr",)"
                      R"("order_id":"403-9930700-9360319","asin":"B00HELLOKT",)"
                      R"("subject":"Question r1","status":null,"version":)"),
            std::string::npos)
      << json;
  // The auto-responder (no in_reply_to) is labelled from its thread.
  EXPECT_NE(json.find(R"({"message_id":"a1","thread_id":"th1","direction":"sent",)"
                      R"("occurred_at":"2013-01-06T09:00:05Z",)"
                      R"("buyer_alias":"Kamelec@marketplace.amazon.fr",)"),
            std::string::npos)
      << json;
}

TEST_F(MessagesTest, TimeTravelHidesLaterMessagesAndShowsEarlierStatuses) {
  seed_inbox();
  MessagesQuery q;
  q.as_of = at("2013-01-06T10:00:00Z");  // before the seller's reply
  const std::string json = query(q);
  EXPECT_EQ(ids(json), (std::vector<std::string>{"a1", "r1"}));
  EXPECT_NE(json.find(R"("subject":"Question r1","status":"pending","version":)"), std::string::npos) << json;
  q.as_of = at("2013-01-07T09:00:00Z");  // r4 received, not yet marked
  const std::string later = query(q);
  EXPECT_NE(later.find(R"("subject":"Question r4","status":"pending","version":)"), std::string::npos)
      << later;
  EXPECT_NE(later.find(R"("subject":"Question r3","status":"pending","version":)"), std::string::npos);
  q.as_of = at("2013-01-08T08:00:00Z");  // r3 exactly 24 h old: still pending
  EXPECT_NE(query(q).find(R"("subject":"Question r3","status":"pending","version":)"), std::string::npos);
  q.as_of = at("2013-01-08T08:00:01Z");
  EXPECT_NE(query(q).find(R"("subject":"Question r3","status":"no_response","version":)"), std::string::npos);
}

TEST_F(MessagesTest, LateStatus) {
  feed(envelope("e1", "message.received", received_data("r1", "th1", "a@m.fr"),
                "2013-01-06T09:00:00Z"));
  feed(envelope("e2", "message.sent", sent_data("s1", "th1"), "2013-01-07T09:00:01Z"));
  MessagesQuery q;
  q.as_of = at("2013-01-08T00:00:00Z");
  EXPECT_NE(query(q).find(R"("status":"late","version":)"), std::string::npos);
}

TEST_F(MessagesTest, FiltersByDirectionTextAndDates) {
  seed_inbox();
  MessagesQuery q;
  q.as_of = at("2013-01-08T12:00:00Z");
  q.direction = "sent";
  EXPECT_EQ(ids(query(q)), (std::vector<std::string>{"s1", "a1"}));
  q.direction = "received";
  EXPECT_EQ(ids(query(q)), (std::vector<std::string>{"r4", "r3", "r2", "r1"}));
  q.direction = "all";
  q.q = "9930700";  // order id substring: the thread's sent rows match too
  EXPECT_EQ(ids(query(q)), (std::vector<std::string>{"s1", "a1", "r1"}));
  q.q = "b00other01";  // asin, any case
  EXPECT_EQ(ids(query(q)), (std::vector<std::string>{"r3"}));
  q.q = "GERALD.V";  // buyer alias, any case
  EXPECT_EQ(ids(query(q)), (std::vector<std::string>{"r2"}));
  q.q = "nobody";
  EXPECT_NE(query(q).find(R"("total":0,"next_cursor":null,"messages":[]})"), std::string::npos);
  q.q.clear();
  q.from = at("2013-01-06T11:00:00Z");  // inclusive bounds
  q.to = at("2013-01-07T08:00:00Z");
  EXPECT_EQ(ids(query(q)), (std::vector<std::string>{"r3", "r2", "s1"}));
}

TEST_F(MessagesTest, PagesWithCursorsAndCountsEveryMatch) {
  seed_inbox();
  MessagesQuery q;
  q.as_of = at("2013-01-08T12:00:00Z");
  q.limit = 4;
  const std::string first = query(q);
  EXPECT_EQ(ids(first), (std::vector<std::string>{"r4", "r3", "r2", "s1"}));
  EXPECT_NE(first.find(R"("total":6,"next_cursor":")"), std::string::npos) << first;
  const size_t c = first.find(R"("next_cursor":")") + 15;
  q.cursor = first.substr(c, first.find('"', c) - c);
  const std::string second = query(q);
  EXPECT_EQ(ids(second), (std::vector<std::string>{"a1", "r1"}));
  EXPECT_NE(second.find(R"("total":6,"next_cursor":null)"), std::string::npos) << second;
  // A page that ends exactly at the last row has no next cursor.
  q.cursor.clear();
  q.limit = 6;
  EXPECT_NE(query(q).find(R"("next_cursor":null)"), std::string::npos);
  q.limit = 1;
  EXPECT_EQ(ids(query(q)), (std::vector<std::string>{"r4"}));
}

TEST_F(MessagesTest, BadParametersAreNamed) {
  seed_inbox();
  MessagesQuery q;
  q.as_of = at("2013-01-08T12:00:00Z");
  q.cursor = "zz";
  EXPECT_EQ(query(q), "ERROR cursor");
  q.cursor = "abc";
  EXPECT_EQ(query(q), "ERROR cursor");
  q.cursor = encode_cursor("o403-9930700-9360319");  // another listing's key
  EXPECT_EQ(query(q), "ERROR cursor");
  q.cursor.clear();
  q.limit = 0;
  EXPECT_EQ(query(q), "ERROR limit");
  q.limit = 1001;
  EXPECT_EQ(query(q), "ERROR limit");
  q.limit = 1000;
  q.direction = "inbox";
  EXPECT_EQ(query(q), "ERROR direction");
}

TEST_F(MessagesTest, ReplyLoggedBeforeTheBuyerMessageIsStillLabelledAndAnswers) {
  // Out of log order: the reply (dated later) arrives first.
  feed(envelope("e1", "message.sent", sent_data("s1", "th9"), "2013-01-06T12:00:00Z"));
  feed(envelope("e2", "message.received",
                received_data("r1", "th9", "late@marketplace.amazon.fr", R"(,"asin":"B00ASIN001")"),
                "2013-01-06T10:00:00Z"));
  MessagesQuery q;
  q.as_of = at("2013-01-09T00:00:00Z");
  const std::string json = query(q);
  EXPECT_EQ(ids(json), (std::vector<std::string>{"s1", "r1"}));
  EXPECT_NE(json.find(R"("buyer_alias":"late@marketplace.amazon.fr","order_id":null,)"
                      R"("asin":"B00ASIN001","subject":"Question r1","status":null,"version":)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("status":"on_time","version":)"), std::string::npos);
}

TEST_F(MessagesTest, SentWithoutAnyReceivedMessageHasNullLabels) {
  feed(envelope("e1", "message.sent", sent_data("s1", "th1", R"(,"subject":"Votre commande")"),
                "2013-01-06T12:00:00Z"));
  MessagesQuery q;
  q.as_of = at("2013-01-09T00:00:00Z");
  EXPECT_EQ(query(q), R"({"seller_id":"A2SELLER0001","total":1,"next_cursor":null,"messages":[)"
                      R"({"message_id":"s1","thread_id":"th1","direction":"sent",)"
                      R"("occurred_at":"2013-01-06T12:00:00Z","buyer_alias":null,"order_id":null,)"
                      R"("asin":null,"subject":"Votre commande","status":null,"version":1}]})");
}

}  // namespace
}  // namespace carelog::messages_test

namespace carelog::messages_test {
namespace {

// A seller writes first in a thread; the buyer answers later. As of a moment
// between the two, the seller's message shows nothing of the later buyer
// message (no alias, no subject from it) and a search by that alias finds
// nothing; afterwards both are labelled.
TEST_F(MessagesTest, SentMessagesAreNeverLabelledWithWhatCameLater) {
  feed(envelope("e1", "message.sent", sent_data("s1", "thx"), "2013-01-06T09:00:00Z"));
  feed(envelope("e2", "message.received", received_data("r1", "thx", "later@marketplace.amazon.fr"),
                "2013-01-06T15:00:00Z"));
  MessagesQuery q;
  q.as_of = at("2013-01-06T12:00:00Z");
  std::string before = query(q);
  EXPECT_EQ(before.find("later@"), std::string::npos) << before;
  EXPECT_NE(before.find("\"buyer_alias\":null"), std::string::npos) << before;
  q.q = "later@";
  EXPECT_EQ(ids(query(q)), std::vector<std::string>{});
  q.as_of = at("2013-01-06T16:00:00Z");
  EXPECT_EQ(ids(query(q)), (std::vector<std::string>{"r1", "s1"}));
}

}  // namespace
}  // namespace carelog::messages_test
