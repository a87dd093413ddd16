// The deadlines and return-settings queries (projections/deadlines.h): events
// decoded from JSON envelopes are folded through OrderFactsProjection,
// MessagesProjection and ReturnsQueueProjection into MemoryRows, and the
// JSON is checked against hand-computed answers.
#include "projections/deadlines.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <array>
#include <string>
#include <vector>

#include "events/json_decoder.h"
#include "projections/memory_rows.h"
#include "projections/order_facts.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"

namespace carelog::deadlines_test {
namespace {

constexpr const char* kSeller = "A2SELLER0001";
constexpr const char* kOrder = "403-9930700-9360319";
constexpr const char* kShopAddress =
    R"({"name":"Ma boutique","line1":"ma rue","city":"ma ville","postal_code":"08140","country":"FR"})";
constexpr const char* kBerlinAddress =
    R"({"name":"Mein Laden","line1":"Hauptstr. 1","line2":"Hinterhof","city":"Berlin","postal_code":"10115","country":"DE","phone":"030 123"})";

int64_t at(const std::string& rfc3339) {
  JsonDecoder d;
  auto e = d.decode(
      R"({"event_id":"t","type":"order.delivered","occurred_at":")" + rfc3339 +
      R"(","seller_id":"S","marketplace":"FR","schema_version":1,"data":{"order_id":"403-9930700-9360319"}})");
  EXPECT_TRUE(e.ok()) << rfc3339;
  return e.ok() ? e.value().occurred_at.micros : 0;
}

std::string received(const std::string& id, const std::string& thread, bool auto_reply = false,
                     const std::string& order = "") {
  std::string extra = order.empty() ? "" : R"(,"order_id":")" + order + R"(")";
  return R"({"message_id":")" + id + R"(","thread_id":")" + thread +
         R"(","buyer_id":"BUYER-1","buyer_alias":")" + id + R"(@marketplace.amazon.fr")" + extra +
         R"(,"subject":"Question )" + id + R"(","body":"Bonjour","auto_reply":)" +
         (auto_reply ? "true" : "false") + "}";
}

std::string sent(const std::string& id, const std::string& thread,
                 const std::string& sender = "seller") {
  return R"({"message_id":")" + id + R"(","thread_id":")" + thread +
         R"(","body":"Merci","sender":")" + sender + R"("})";
}

std::string requested(const std::string& id) {
  return R"({"return_id":")" + id + R"(","order_id":")" + kOrder +
         R"(","buyer_id":"BUYER-1","items":[{"sku":"JEM-021835","asin":"B00HELLOKT","quantity":1}],"reason":"defective","gift":false})";
}

std::string settings(const std::string& mode, int days, const std::string& address, bool links) {
  return R"({"auto_authorize":")" + mode + R"(","return_window_days":)" + std::to_string(days) +
         R"(,"return_address":)" + address + R"(,"email_action_links":)" +
         (links ? "true" : "false") + "}";
}

class DeadlinesTest : public ::testing::Test {
 protected:
  DeadlinesTest() : returns_(ReturnsPolicy{}) {}

  void feed(const std::string& type, const std::string& data, const std::string& when,
            const std::string& marketplace = "FR") {
    const std::string bytes = R"({"event_id":"e)" + std::to_string(++seq_) + R"(","type":")" +
                              type + R"(","occurred_at":")" + when + R"(","seller_id":")" +
                              kSeller + R"(","marketplace":")" + marketplace +
                              R"(","schema_version":1,"data":)" + data + "}";
    auto e = decoder_.decode(bytes);
    ASSERT_TRUE(e.ok()) << bytes << ": " << e.rejection().code << " " << e.rejection().message;
    const std::array<uint8_t, 32> hash{};
    AppliedEvent applied{e.value(), 0, seq_, hash};
    facts_.apply(applied, rows_);
    messages_.apply(applied, rows_);
    returns_.apply(applied, rows_);
  }

  std::string raw(const std::string& as_of, const std::string& within) {
    int64_t micros = 0;
    EXPECT_TRUE(parse_within(within, micros)) << within;
    auto r = deadlines_json(rows_, kSeller, at(as_of), micros);
    EXPECT_EQ(r.index(), 0u) << (r.index() ? std::get<1>(r).message : "");
    return r.index() == 0 ? std::get<0>(r) : "{}";
  }
  simdjson::dom::element query(const std::string& as_of, const std::string& within) {
    json_ = raw(as_of, within);
    return parser_.parse(json_).value();
  }
  // "kind:id" of the listed items, in order.
  std::vector<std::string> listed(const std::string& as_of, const std::string& within) {
    std::vector<std::string> out;
    for (auto it : query(as_of, within)["items"].get_array()) {
      out.push_back(std::string(std::string_view(it["kind"])) + ":" +
                    std::string(std::string_view(it["id"])));
    }
    return out;
  }
  simdjson::dom::element item(const std::string& as_of, const std::string& within,
                              const std::string& id) {
    for (auto it : query(as_of, within)["items"].get_array()) {
      if (std::string_view(it["id"]) == id) return it;
    }
    ADD_FAILURE() << "no item " << id;
    return parser_.parse(std::string("{}")).value();
  }
  static std::string str(simdjson::dom::element e, const char* field) {
    auto v = e[field];
    if (v.is_null()) return "null";
    return std::string(std::string_view(v));
  }

  MemoryRows rows_;

 private:
  JsonDecoder decoder_;
  OrderFactsProjection facts_;
  MessagesProjection messages_;
  ReturnsQueueProjection returns_;
  uint64_t seq_ = 0;
  simdjson::dom::parser parser_;
  std::string json_;
};

using List = std::vector<std::string>;

// as_of T = 2013-03-10T12:00:00Z. Messages are due 24 h after receipt,
// returns 48 h after the request.
class DeadlinesMorningDeskTest : public DeadlinesTest {
 protected:
  static constexpr const char* kT = "2013-03-10T12:00:00Z";
  void SetUp() override {
    feed("order.placed",
         R"({"order_id":")" + std::string(kOrder) +
             R"(","buyer_id":"BUYER-1","items":[{"sku":"JEM-021835","asin":"B00HELLOKT","title":"Hello Kitty","quantity":3,"item_price":{"amount":"12.90","currency":"EUR"},"category":"toys"}],"latest_ship_date":"2013-03-01T23:59:59Z","latest_delivery_date":"2013-03-05T23:59:59Z"})",
         "2013-02-20T10:00:00Z");
    // Messages.
    feed("message.received", received("m-old", "th-old"), "2012-11-30T12:00:00Z");  // T - 100 d
    feed("message.received", received("m-over", "th-over", false, kOrder),
         "2013-03-09T06:00:00+00:00");                                         // due T - 6 h
    feed("message.received", received("m-tie", "th-tie"), "2013-03-09T16:00:00+01:00");  // T + 3 h
    feed("message.received", received("m-ans", "th-ans"), "2013-03-09T16:00:00Z");  // T + 4 h
    feed("message.sent", sent("s-ans", "th-ans"), "2013-03-10T08:00:00Z");          // answers it
    feed("message.received", received("m-5h", "th-5h"), "2013-03-09T17:00:00Z");    // T + 5 h
    feed("message.received", received("m-auto", "th-auto"), "2013-03-09T18:00:00Z");  // T + 6 h
    feed("message.sent", sent("s-auto", "th-auto", "seller_auto"), "2013-03-09T18:00:05Z");
    feed("message.received", received("m-7h", "th-7h"), "2013-03-09T19:00:00Z");  // T + 7 h
    feed("message.received", received("m-ooo", "th-ooo", true), "2013-03-09T20:00:00Z");
    feed("message.received", received("m-nrn", "th-nrn"), "2013-03-09T21:00:00Z");
    feed("message.no_response_needed", R"({"message_id":"m-nrn"})", "2013-03-09T21:30:00Z");
    // Returns.
    feed("return.requested", requested("r-over"), "2013-03-08T00:00:00Z");  // due T - 12 h
    feed("return.requested", requested("r-3h"), "2013-03-08T15:00:00Z");    // due T + 3 h
    feed("return.requested", requested("r-auth"), "2013-03-08T16:00:00Z");
    feed("return.authorized",
         R"({"return_id":"r-auth","rma":"DYrkY0qDRR","return_address":)" +
             std::string(kShopAddress) + R"(,"label":"unpaid","authorized_by":"seller"})",
         "2013-03-09T10:00:00Z");
    feed("return.requested", requested("r-canc"), "2013-03-08T17:00:00Z");
    feed("return.cancelled", R"({"return_id":"r-canc"})", "2013-03-09T11:00:00Z");
    feed("return.requested", requested("r-refund"), "2013-03-08T18:00:00Z");
    feed("refund.issued",
         R"({"refund_id":"F1","order_id":")" + std::string(kOrder) +
             R"(","return_id":"r-refund","amount":{"amount":"1.00","currency":"EUR"},"refund_kind":"partial"})",
         "2013-03-09T12:00:00Z");
    feed("return.requested", requested("r-8h"), "2013-03-08T20:00:00Z");  // due T + 8 h
  }
};

TEST_F(DeadlinesMorningDeskTest, SoonestFirstWithOverdueAndWithinSixHours) {
  // m-7h and r-8h fall after T + 6 h; m-ans is answered, m-ooo an
  // auto-reply, m-nrn marked, r-auth / r-canc / r-refund decided, m-old
  // beyond the 90-day look-back. m-auto's only reply is an auto-responder:
  // still open, due exactly at T + 6 h (included). m-tie and r-3h share a
  // deadline: the message first.
  EXPECT_EQ(listed(kT, "6h"), (List{"return:r-over", "message:m-over", "message:m-tie",
                                    "return:r-3h", "message:m-5h", "message:m-auto"}));
  auto body = query(kT, "6h");
  EXPECT_EQ(str(body, "seller_id"), kSeller);
  EXPECT_EQ(str(body, "as_of"), kT);
  EXPECT_EQ(body["within_hours"].get_int64().value(), 6);
  EXPECT_EQ(body["overdue"].get_int64().value(), 2);
  EXPECT_EQ(body["due_soon"].get_int64().value(), 4);
}

TEST_F(DeadlinesMorningDeskTest, MessageItemFields) {
  auto m = item(kT, "6h", "m-5h");
  EXPECT_EQ(str(m, "kind"), "message");
  EXPECT_EQ(str(m, "deadline"), "2013-03-10T17:00:00Z");
  EXPECT_FALSE(m["overdue"].get_bool().value());
  EXPECT_EQ(m["due_in_seconds"].get_int64().value(), 5 * 3600);
  EXPECT_EQ(str(m, "order_id"), "null");
  EXPECT_EQ(str(m, "thread_id"), "th-5h");
  EXPECT_EQ(str(m, "buyer_alias"), "m-5h@marketplace.amazon.fr");
  EXPECT_EQ(str(m, "subject"), "Question m-5h");
  EXPECT_EQ(str(m, "reason"), "null");

  auto over = item(kT, "6h", "m-over");
  EXPECT_EQ(str(over, "deadline"), "2013-03-10T06:00:00Z");
  EXPECT_TRUE(over["overdue"].get_bool().value());
  EXPECT_EQ(over["due_in_seconds"].get_int64().value(), -6 * 3600);
  EXPECT_EQ(str(over, "order_id"), kOrder);

  auto tie = item(kT, "6h", "m-tie");  // received 16:00+01:00 = 15:00Z
  EXPECT_EQ(str(tie, "deadline"), "2013-03-10T15:00:00Z");
  EXPECT_EQ(tie["due_in_seconds"].get_int64().value(), 3 * 3600);

  auto edge = item(kT, "6h", "m-auto");
  EXPECT_FALSE(edge["overdue"].get_bool().value());
  EXPECT_EQ(edge["due_in_seconds"].get_int64().value(), 6 * 3600);
}

TEST_F(DeadlinesMorningDeskTest, ReturnItemFields) {
  auto r = item(kT, "6h", "r-3h");
  EXPECT_EQ(str(r, "kind"), "return");
  EXPECT_EQ(str(r, "deadline"), "2013-03-10T15:00:00Z");
  EXPECT_FALSE(r["overdue"].get_bool().value());
  EXPECT_EQ(r["due_in_seconds"].get_int64().value(), 3 * 3600);
  EXPECT_EQ(str(r, "order_id"), kOrder);
  EXPECT_EQ(str(r, "reason"), "defective");
  EXPECT_EQ(str(r, "thread_id"), "null");
  EXPECT_EQ(str(r, "buyer_alias"), "null");
  EXPECT_EQ(str(r, "subject"), "null");

  auto over = item(kT, "6h", "r-over");
  EXPECT_EQ(str(over, "deadline"), "2013-03-10T00:00:00Z");
  EXPECT_TRUE(over["overdue"].get_bool().value());
  EXPECT_EQ(over["due_in_seconds"].get_int64().value(), -12 * 3600);
}

TEST_F(DeadlinesMorningDeskTest, ExactBody) {
  EXPECT_EQ(raw(kT, "0h"),
            R"({"seller_id":"A2SELLER0001","as_of":"2013-03-10T12:00:00Z","within_hours":0,)"
            R"("overdue":2,"due_soon":0,"items":[)"
            R"({"kind":"return","id":"r-over","deadline":"2013-03-10T00:00:00Z","overdue":true,)"
            R"("due_in_seconds":-43200,"order_id":"403-9930700-9360319","thread_id":null,)"
            R"("buyer_alias":null,"subject":null,"reason":"defective"},)"
            R"({"kind":"message","id":"m-over","deadline":"2013-03-10T06:00:00Z","overdue":true,)"
            R"("due_in_seconds":-21600,"order_id":"403-9930700-9360319","thread_id":"th-over",)"
            R"("buyer_alias":"m-over@marketplace.amazon.fr","subject":"Question m-over",)"
            R"("reason":null}]})");
}

TEST_F(DeadlinesMorningDeskTest, WiderWindowsAndFractionalHours) {
  EXPECT_EQ(listed(kT, "8h"),
            (List{"return:r-over", "message:m-over", "message:m-tie", "return:r-3h",
                  "message:m-5h", "message:m-auto", "message:m-7h", "return:r-8h"}));
  EXPECT_EQ(listed(kT, "300m"),  // 5 h: m-5h exactly at the horizon
            (List{"return:r-over", "message:m-over", "message:m-tie", "return:r-3h",
                  "message:m-5h"}));
  EXPECT_EQ(query(kT, "90m")["within_hours"].get_double().value(), 1.5);
  EXPECT_NE(raw(kT, "90m").find(R"("within_hours":1.5,)"), std::string::npos);
  EXPECT_NE(raw(kT, "45s").find(R"("within_hours":0.0125,)"), std::string::npos);
}

TEST_F(DeadlinesMorningDeskTest, TimeTravel) {
  // Before s-ans (08:00Z) m-ans is open, due at 16:00Z.
  const std::string before = "2013-03-10T07:00:00Z";
  auto m = item(before, "12h", "m-ans");
  EXPECT_EQ(str(m, "deadline"), "2013-03-10T16:00:00Z");
  EXPECT_EQ(m["due_in_seconds"].get_int64().value(), 9 * 3600);
  // Before r-auth's authorization (09T10:00) it is listed; before m-nrn was
  // marked (21:30) it is listed; messages received after as_of are not.
  EXPECT_EQ(listed("2013-03-09T21:15:00Z", "1d"),
            (List{"return:r-over", "message:m-over", "message:m-tie", "return:r-3h",
                  "message:m-ans", "message:m-5h", "message:m-auto", "message:m-7h",
                  "return:r-8h", "message:m-nrn"}));
  EXPECT_EQ(listed("2013-03-09T09:00:00Z", "2d"),
            (List{"return:r-over", "message:m-over", "return:r-3h", "return:r-auth",
                  "return:r-canc", "return:r-refund", "return:r-8h"}));
  // After the reply it is gone; the thread's later buyer message counts on its own.
  feed("message.received", received("m-again", "th-ans"), "2013-03-10T09:00:00Z");
  EXPECT_EQ(listed(kT, "6h"), (List{"return:r-over", "message:m-over", "message:m-tie",
                                    "return:r-3h", "message:m-5h", "message:m-auto"}));
  EXPECT_EQ(item(kT, "1d", "m-again")["due_in_seconds"].get_int64().value(), 21 * 3600);
}

TEST_F(DeadlinesMorningDeskTest, OverdueLookbackIsNinetyDays) {
  // m-old was received 2012-11-30T12:00Z: listed (overdue) while within 90 days.
  EXPECT_EQ(listed("2013-02-28T11:59:59Z", "0h"), List{"message:m-old"});
  EXPECT_EQ(listed("2013-02-28T12:00:00Z", "0h"), List{});  // exactly 90 days: out
}

TEST_F(DeadlinesTest, EmptyAndErrors) {
  EXPECT_EQ(raw("2013-03-10T12:00:00Z", "6"),
            R"({"seller_id":"A2SELLER0001","as_of":"2013-03-10T12:00:00Z","within_hours":6,)"
            R"("overdue":0,"due_soon":0,"items":[]})");
  auto neg = deadlines_json(rows_, kSeller, at("2013-03-10T12:00:00Z"), -1);
  ASSERT_EQ(neg.index(), 1u);
  EXPECT_EQ(std::get<1>(neg).parameter, "within");
  auto big = deadlines_json(rows_, kSeller, 0, 30 * kMicrosPerDay + 1);
  ASSERT_EQ(big.index(), 1u);
  EXPECT_EQ(std::get<1>(big).parameter, "within");
  EXPECT_EQ(deadlines_json(rows_, kSeller, 0, 30 * kMicrosPerDay).index(), 0u);
}

TEST(DeadlinesParseWithin, Accepts) {
  int64_t m = -1;
  EXPECT_TRUE(parse_within("6h", m));
  EXPECT_EQ(m, 6 * kMicrosPerHour);
  EXPECT_TRUE(parse_within("90m", m));
  EXPECT_EQ(m, 90 * 60 * kMicrosPerSecond);
  EXPECT_TRUE(parse_within("2d", m));
  EXPECT_EQ(m, 2 * kMicrosPerDay);
  EXPECT_TRUE(parse_within("45s", m));
  EXPECT_EQ(m, 45 * kMicrosPerSecond);
  EXPECT_TRUE(parse_within("6", m));
  EXPECT_EQ(m, 6 * kMicrosPerHour);
  EXPECT_TRUE(parse_within("0h", m));
  EXPECT_EQ(m, 0);
  EXPECT_TRUE(parse_within("30d", m));
  EXPECT_EQ(m, 30 * kMicrosPerDay);
  EXPECT_TRUE(parse_within("720", m));
  EXPECT_EQ(m, 30 * kMicrosPerDay);
  EXPECT_TRUE(parse_within("2592000s", m));
  EXPECT_EQ(m, 30 * kMicrosPerDay);
}

TEST(DeadlinesParseWithin, Rejects) {
  for (const char* bad : {"", "h", "-6h", "+6h", "6 h", " 6h", "6h ", "1.5h", "6H", "6w", "6hh",
                          "31d", "721", "721h", "43201m", "2592001s", "0x10",
                          "99999999999999999999h", "999999999999d"}) {
    int64_t m = 42;
    EXPECT_FALSE(parse_within(bad, m)) << bad;
    EXPECT_EQ(m, 42) << bad;
  }
}

// ---- return settings ----
class ReturnSettingsQueryTest : public DeadlinesTest {
 protected:
  std::string json(const std::string& as_of) { return return_settings_json(rows_, kSeller, at(as_of)); }
};

TEST_F(ReturnSettingsQueryTest, TwoMarketplacesAndTimeTravel) {
  feed("seller.return_settings_changed", settings("policy", 30, kShopAddress, true),
       "2013-01-02T10:00:00+01:00", "FR");
  feed("seller.return_settings_changed", settings("all", 60, kBerlinAddress, false),
       "2013-01-03T09:00:00Z", "DE");
  feed("seller.return_settings_changed", settings("off", 14, kShopAddress, false),
       "2013-02-01T09:00:00Z", "FR");

  EXPECT_EQ(json("2013-01-02T08:59:59Z"), R"({"seller_id":"A2SELLER0001","marketplaces":{}})");
  EXPECT_EQ(json("2013-01-02T09:00:00Z"),
            R"({"seller_id":"A2SELLER0001","marketplaces":{"FR":{"auto_authorize":"policy",)"
            R"("return_window_days":30,"return_address":{"name":"Ma boutique","line1":"ma rue",)"
            R"("city":"ma ville","postal_code":"08140","country":"FR"},"email_action_links":true,)"
            R"("changed_at":"2013-01-02T09:00:00Z"}}})");
  EXPECT_EQ(json("2013-01-31T00:00:00Z"),
            R"({"seller_id":"A2SELLER0001","marketplaces":{)"
            R"("DE":{"auto_authorize":"all","return_window_days":60,"return_address":{)"
            R"("name":"Mein Laden","line1":"Hauptstr. 1","line2":"Hinterhof","city":"Berlin",)"
            R"("postal_code":"10115","country":"DE","phone":"030 123"},)"
            R"("email_action_links":false,"changed_at":"2013-01-03T09:00:00Z"},)"
            R"("FR":{"auto_authorize":"policy","return_window_days":30,"return_address":{)"
            R"("name":"Ma boutique","line1":"ma rue","city":"ma ville","postal_code":"08140",)"
            R"("country":"FR"},"email_action_links":true,"changed_at":"2013-01-02T09:00:00Z"}}})");
  const std::string after = json("2013-02-01T09:00:00Z");
  EXPECT_NE(after.find(R"("FR":{"auto_authorize":"off","return_window_days":14,)"),
            std::string::npos)
      << after;
  EXPECT_NE(after.find(R"("email_action_links":false,"changed_at":"2013-02-01T09:00:00Z"})"),
            std::string::npos)
      << after;
  EXPECT_NE(after.find(R"("DE":{"auto_authorize":"all")"), std::string::npos) << after;

  // The latest-settings row the returns fold and automation read is unchanged.
  auto fr = read_return_settings(static_cast<const SellerRows&>(rows_), "FR");
  ASSERT_TRUE(fr.has_value());
  EXPECT_EQ(fr->auto_authorize, AutoAuthorize::kOff);
  EXPECT_EQ(fr->return_window_days, 14);
  EXPECT_FALSE(read_return_settings(static_cast<const SellerRows&>(rows_), "IT").has_value());
}

TEST_F(ReturnSettingsQueryTest, SameInstantLastLoggedWins) {
  feed("seller.return_settings_changed", settings("policy", 30, kShopAddress, true),
       "2013-01-02T09:00:00Z", "FR");
  feed("seller.return_settings_changed", settings("all", 45, kShopAddress, true),
       "2013-01-02T09:00:00Z", "FR");
  auto dated = read_return_settings_at(rows_, at("2013-01-02T09:00:00Z"));
  ASSERT_EQ(dated.size(), 1u);
  EXPECT_EQ(dated.at("FR").settings.auto_authorize, AutoAuthorize::kAll);
  EXPECT_EQ(dated.at("FR").settings.return_window_days, 45);
  EXPECT_EQ(read_return_settings(static_cast<const SellerRows&>(rows_), "FR")->return_window_days,
            45);
}

}  // namespace
}  // namespace carelog::deadlines_test
