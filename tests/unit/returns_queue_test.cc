// The returns queue (spec/projections.md §2): envelopes decoded from JSON are
// folded through OrderFactsProjection then ReturnsQueueProjection into
// MemoryRows, and the query's JSON is checked against hand-computed answers,
// including the seed's « Gérer les retours » walkthrough and time travel.
#include "projections/returns_queue.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <array>
#include <string>
#include <vector>

#include "events/json_decoder.h"
#include "events/json_encoder.h"
#include "projections/memory_rows.h"
#include "projections/order_facts.h"
#include "projections/return_rows.h"

namespace carelog::returns_queue_test {
namespace {

constexpr const char* kSeller = "A2SELLER0001";
constexpr const char* kOrder = "403-9930700-9360319";
constexpr const char* kTitle = "Jemini - 021835 - Peluche - Hello Kitty - Printemps";
constexpr const char* kShopAddress =
    R"({"name":"Ma boutique","line1":"ma rue","city":"ma ville","postal_code":"08140","country":"FR"})";

int64_t at(const char* rfc3339) {
  // A throwaway envelope is the simplest way to reach the decoder's parser.
  JsonDecoder d;
  auto e = d.decode(
      std::string(R"({"event_id":"t","type":"order.delivered","occurred_at":")") + rfc3339 +
      R"(","seller_id":"S","marketplace":"FR","schema_version":1,"data":{"order_id":"403-9930700-9360319"}})");
  EXPECT_TRUE(e.ok()) << rfc3339;
  return e.ok() ? e.value().occurred_at.micros : 0;
}

std::string item(const std::string& sku, const std::string& asin, const std::string& title,
                 const std::string& price, int quantity, const std::string& category) {
  return R"({"sku":")" + sku + R"(","asin":")" + asin + R"(","title":")" + title +
         R"(","quantity":)" + std::to_string(quantity) + R"(,"item_price":{"amount":")" + price +
         R"(","currency":"EUR"},"category":")" + category + R"("})";
}

std::string order_placed(const std::string& order, const std::string& items_json,
                         const std::string& buyer = "BUYER-DIENGOUDI") {
  return R"({"order_id":")" + order + R"(","buyer_id":")" + buyer + R"(","items":[)" + items_json +
         R"(],"latest_ship_date":"2013-02-08T23:59:59+01:00","latest_delivery_date":"2013-02-12T23:59:59+01:00"})";
}

std::string hello_kitty_order(const std::string& order = kOrder) {
  return order_placed(order, item("JEM-021835", "B00HELLOKT", kTitle, "20.00", 2, "toys"));
}

std::string requested(const std::string& id, const std::string& order = kOrder,
                      const std::string& sku = "JEM-021835", int quantity = 1,
                      const std::string& asin = "B00HELLOKT") {
  return R"({"return_id":")" + id + R"(","order_id":")" + order +
         R"(","buyer_id":"BUYER-DIENGOUDI","items":[{"sku":")" + sku + R"(","asin":")" + asin +
         R"(","quantity":)" + std::to_string(quantity) + R"(}],"reason":"defective","gift":false})";
}

std::string authorized(const std::string& id, const std::string& rma) {
  return R"({"return_id":")" + id + R"(","rma":")" + rma + R"(","return_address":)" + kShopAddress +
         R"(,"label":"unpaid","authorized_by":"seller"})";
}

std::string closed(const std::string& id, const std::string& reason, const std::string& by) {
  return R"({"return_id":")" + id + R"(","close_reason":")" + reason + R"(","closed_by":")" + by +
         R"("})";
}

std::string refund(const std::string& id, const std::string& return_id, const std::string& amount,
                   const std::string& kind, const std::string& order = kOrder) {
  return R"({"refund_id":")" + id + R"(","order_id":")" + order + R"(","return_id":")" + return_id +
         R"(","amount":{"amount":")" + amount + R"(","currency":"EUR"},"refund_kind":")" + kind +
         R"("})";
}

std::string order_ref(const std::string& order = kOrder) {
  return R"({"order_id":")" + order + R"("})";
}

class ReturnsQueueTest : public ::testing::Test {
 protected:
  explicit ReturnsQueueTest(ReturnsPolicy policy = {}) : returns_(std::move(policy)) {}

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
    returns_.apply(applied, rows_);
  }

  // The query's JSON, parsed; fails the test on a QueryError.
  simdjson::dom::element query(ReturnsQuery q, const char* as_of) {
    q.as_of = at(as_of);
    auto r = returns_json(rows_, kSeller, q);
    EXPECT_EQ(r.index(), 0u) << (r.index() ? std::get<1>(r).parameter : "");
    json_ = r.index() == 0 ? std::get<0>(r) : "{}";
    return parser_.parse(json_).value();
  }

  std::vector<std::string> ids(ReturnsQuery q, const char* as_of) {
    std::vector<std::string> out;
    for (auto row : query(std::move(q), as_of)["returns"].get_array()) {
      out.emplace_back(std::string_view(row["return_id"]));
    }
    return out;
  }

  // The row `id` of an "all" listing at as_of.
  simdjson::dom::element row(const std::string& id, const char* as_of) {
    for (auto r : query({}, as_of)["returns"].get_array()) {
      if (std::string_view(r["return_id"]) == id) return r;
    }
    ADD_FAILURE() << "no row " << id;
    return parser_.parse(std::string("{}")).value();
  }

  static std::string str(simdjson::dom::element e, const char* field) {
    auto v = e[field];
    if (v.is_null()) return "null";
    return std::string(std::string_view(v));
  }
  static std::string refunded(simdjson::dom::element e) {
    return str(e["refunded"], "amount") + " " + str(e["refunded"], "currency");
  }

  static ReturnsQuery status(const std::string& s) {
    ReturnsQuery q;
    q.status = s;
    return q;
  }
  static ReturnsQuery by(ClosedBy c) {
    ReturnsQuery q;
    q.closed_by = c;
    return q;
  }

  MemoryRows rows_;

 private:
  JsonDecoder decoder_;
  OrderFactsProjection facts_;
  ReturnsQueueProjection returns_;
  uint64_t seq_ = 0;
  simdjson::dom::parser parser_;
  std::string json_;
};

using Ids = std::vector<std::string>;

// ---- the seed walkthrough: order 403-9930700-9360319 ----
class SeedWalkthroughTest : public ReturnsQueueTest {
 protected:
  void SetUp() override {
    feed("order.placed",
         order_placed(kOrder, item("JEM-021835", "B00HELLOKT", kTitle, "12.90", 1, "toys")),
         "2013-01-05T10:00:00+01:00");
    feed("order.shipped", order_ref(), "2013-01-07T09:00:00+01:00");
    feed("return.requested", requested("R1"), "2013-01-07T19:36:31+01:00");
    feed("return.requested", requested("R2"), "2013-01-07T19:42:10+01:00");
    feed("return.authorized", authorized("R1", "DYrkY0qDRR"), "2013-01-09T10:00:00+01:00");
    feed("return.closed", closed("R2", "duplicate_request", "seller"), "2013-01-09T10:05:00+01:00");
  }
  static constexpr const char* kAfter = "2013-01-10T12:00:00Z";
  static constexpr const char* kBefore = "2013-01-08T12:00:00Z";
};

TEST_F(SeedWalkthroughTest, EveryFilterAfterTheDecisions) {
  EXPECT_EQ(ids({}, kAfter), (Ids{"R2", "R1"}));  // « Afficher tout », newest first
  EXPECT_EQ(ids(status("authorization_required"), kAfter), Ids{});
  EXPECT_EQ(ids(status("authorized"), kAfter), Ids{"R1"});
  EXPECT_EQ(ids(status("completed"), kAfter), Ids{});
  EXPECT_EQ(ids(status("closed"), kAfter), Ids{"R2"});
  EXPECT_EQ(ids(by(ClosedBy::kSeller), kAfter), Ids{"R2"});  // « Par vendeur »
  EXPECT_EQ(ids(by(ClosedBy::kBuyer), kAfter), Ids{});       // « Par acheteur »
  EXPECT_EQ(ids(by(ClosedBy::kMarketplace), kAfter), Ids{});
  EXPECT_EQ(query({}, kAfter)["total"].get_int64().value(), 2);
}

TEST_F(SeedWalkthroughTest, AuthorizedRowCarriesRmaAndAddress) {
  auto r1 = row("R1", kAfter);
  EXPECT_EQ(str(r1, "order_id"), kOrder);
  EXPECT_EQ(str(r1, "status"), "authorized");
  EXPECT_EQ(str(r1, "rma"), "DYrkY0qDRR");
  EXPECT_EQ(str(r1, "reason"), "defective");
  EXPECT_EQ(str(r1, "comment"), "");
  EXPECT_EQ(str(r1, "requested_at"), "2013-01-07T18:36:31Z");
  EXPECT_EQ(str(r1, "decided_at"), "2013-01-09T09:00:00Z");
  EXPECT_EQ(str(r1, "authorized_by"), "seller");
  EXPECT_EQ(str(r1, "closed_by"), "null");
  EXPECT_EQ(str(r1, "close_reason"), "null");
  EXPECT_EQ(str(r1, "response_due_at"), "2013-01-09T18:36:31Z");
  EXPECT_FALSE(r1["overdue"].get_bool().value());
  EXPECT_TRUE(r1["in_policy"].get_bool().value());
  EXPECT_EQ(str(r1, "duplicate_of"), "null");
  EXPECT_EQ(refunded(r1), "0.00 EUR");
  auto items = r1["items"].get_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(str(items.at(0), "sku"), "JEM-021835");
  EXPECT_EQ(str(items.at(0), "asin"), "B00HELLOKT");
  EXPECT_EQ(str(items.at(0), "title"), kTitle);
  EXPECT_EQ(items.at(0)["quantity"].get_int64().value(), 1);
  simdjson::dom::element a = r1["return_address"].value();
  EXPECT_EQ(str(a, "name"), "Ma boutique");
  EXPECT_EQ(str(a, "line1"), "ma rue");
  EXPECT_EQ(str(a, "postal_code"), "08140");
  EXPECT_EQ(str(a, "city"), "ma ville");
  EXPECT_EQ(str(a, "country"), "FR");
  EXPECT_TRUE(a["line2"].error());  // absent optional fields are omitted

  auto r2 = row("R2", kAfter);
  EXPECT_EQ(str(r2, "status"), "closed");
  EXPECT_EQ(str(r2, "rma"), "null");
  EXPECT_EQ(str(r2, "closed_by"), "seller");
  EXPECT_EQ(str(r2, "close_reason"), "duplicate_request");
  EXPECT_EQ(str(r2, "decided_at"), "2013-01-09T09:05:00Z");
  EXPECT_EQ(str(r2, "duplicate_of"), "R1");
  EXPECT_TRUE(r2["return_address"].is_null());
}

TEST_F(SeedWalkthroughTest, BeforeTheDecisionsBothNeedAuthorization) {
  EXPECT_EQ(ids(status("authorization_required"), kBefore), (Ids{"R2", "R1"}));
  EXPECT_EQ(ids(status("authorized"), kBefore), Ids{});
  EXPECT_EQ(ids(status("closed"), kBefore), Ids{});
  auto r1 = row("R1", kBefore);
  EXPECT_EQ(str(r1, "rma"), "null");
  EXPECT_EQ(str(r1, "decided_at"), "null");
  EXPECT_EQ(str(r1, "authorized_by"), "null");
  EXPECT_TRUE(r1["return_address"].is_null());
  EXPECT_FALSE(r1["overdue"].get_bool().value());
  EXPECT_EQ(str(row("R2", kBefore), "duplicate_of"), "R1");
  // Between the two requests only R1 exists.
  EXPECT_EQ(ids({}, "2013-01-07T18:40:00Z"), Ids{"R1"});
  EXPECT_EQ(ids({}, "2013-01-07T18:00:00Z"), Ids{});
}

TEST_F(SeedWalkthroughTest, TextSearch) {
  auto q = [](const std::string& text) {
    ReturnsQuery r;
    r.q = text;
    return r;
  };
  EXPECT_EQ(ids(q("9930700"), kAfter), (Ids{"R2", "R1"}));      // order id
  EXPECT_EQ(ids(q("dyrky0qdrr"), kAfter), Ids{"R1"});           // RMA, any case
  EXPECT_EQ(ids(q("dyrky0qdrr"), kBefore), Ids{});              // not authorized yet
  EXPECT_EQ(ids(q("buyer-dieng"), kAfter), (Ids{"R2", "R1"}));  // buyer id
  EXPECT_EQ(ids(q("jem-0218"), kAfter), (Ids{"R2", "R1"}));     // sku
  EXPECT_EQ(ids(q("b00hellokt"), kAfter), (Ids{"R2", "R1"}));   // asin
  EXPECT_EQ(ids(q("nothing"), kAfter), Ids{});
}

TEST_F(SeedWalkthroughTest, DateRangeIsInclusive) {
  ReturnsQuery q;
  q.from = at("2013-01-07T19:42:10+01:00");
  EXPECT_EQ(ids(q, kAfter), Ids{"R2"});
  q.from.reset();
  q.to = at("2013-01-07T19:36:31+01:00");
  EXPECT_EQ(ids(q, kAfter), Ids{"R1"});
  q.from = at("2013-01-07T19:36:31+01:00");
  q.to = at("2013-01-07T19:42:10+01:00");
  EXPECT_EQ(ids(q, kAfter), (Ids{"R2", "R1"}));
}

TEST_F(SeedWalkthroughTest, PagesWithCursor) {
  ReturnsQuery q;
  q.limit = 1;
  auto page1 = query(q, kAfter);
  EXPECT_EQ(page1["total"].get_int64().value(), 2);
  EXPECT_EQ(str(page1["returns"].at(0), "return_id"), "R2");
  q.cursor = str(page1, "next_cursor");
  ASSERT_NE(q.cursor, "null");
  auto page2 = query(q, kAfter);
  EXPECT_EQ(page2["total"].get_int64().value(), 2);
  EXPECT_EQ(str(page2["returns"].at(0), "return_id"), "R1");
  EXPECT_EQ(page2["returns"].get_array().size(), 1u);
  EXPECT_EQ(str(page2, "next_cursor"), "null");
}

TEST_F(SeedWalkthroughTest, BadParametersAreNamed) {
  auto error = [&](ReturnsQuery q) {
    q.as_of = at(kAfter);
    auto r = returns_json(rows_, kSeller, q);
    return r.index() == 1 ? std::get<1>(r).parameter : std::string("none");
  };
  EXPECT_EQ(error(status("open")), "status");
  ReturnsQuery q;
  q.limit = 0;
  EXPECT_EQ(error(q), "limit");
  q.limit = 1001;
  EXPECT_EQ(error(q), "limit");
  q.limit = 1000;
  EXPECT_EQ(error(q), "none");
  q.cursor = "zz";
  EXPECT_EQ(error(q), "cursor");
  q.cursor = encode_cursor("x-not-a-returns-key");
  EXPECT_EQ(error(q), "cursor");
}

TEST_F(SeedWalkthroughTest, ResponseStats) {
  const int64_t as_of = at(kAfter);
  auto s = return_response_stats(rows_, as_of - 30 * kMicrosPerDay, as_of, as_of);
  EXPECT_EQ(s.requests, 2);
  EXPECT_EQ(s.late, 0);
  // (from, to]: a request exactly at `from` is outside.
  s = return_response_stats(rows_, at("2013-01-07T19:36:31+01:00"), as_of, as_of);
  EXPECT_EQ(s.requests, 1);
}

// ---- life cycles ----
TEST_F(ReturnsQueueTest, BuyerCancelIsClosedByBuyer) {
  feed("order.placed", hello_kitty_order(), "2013-01-05T10:00:00Z");
  feed("return.requested", requested("C1"), "2013-01-07T10:00:00Z");
  feed("return.cancelled", R"({"return_id":"C1"})", "2013-01-07T12:00:00Z");
  auto c = row("C1", "2013-01-08T00:00:00Z");
  EXPECT_EQ(str(c, "status"), "closed");
  EXPECT_EQ(str(c, "closed_by"), "buyer");
  EXPECT_EQ(str(c, "close_reason"), "cancelled_at_buyer_request");
  EXPECT_EQ(str(c, "decided_at"), "2013-01-07T12:00:00Z");
  EXPECT_EQ(ids(by(ClosedBy::kBuyer), "2013-01-08T00:00:00Z"), Ids{"C1"});
  EXPECT_EQ(ids(by(ClosedBy::kSeller), "2013-01-08T00:00:00Z"), Ids{});
  EXPECT_EQ(ids(status("closed"), "2013-01-08T00:00:00Z"), Ids{"C1"});
  // Time travel: before the cancel it was waiting for the seller.
  EXPECT_EQ(str(row("C1", "2013-01-07T11:00:00Z"), "status"), "authorization_required");
  EXPECT_EQ(ids(by(ClosedBy::kBuyer), "2013-01-07T11:00:00Z"), Ids{});
  // Cancelled within 48 h: never overdue, not late.
  EXPECT_FALSE(row("C1", "2013-01-20T00:00:00Z")["overdue"].get_bool().value());
  const int64_t as_of = at("2013-01-20T00:00:00Z");
  EXPECT_EQ(return_response_stats(rows_, 0, as_of, as_of).late, 0);
}

TEST_F(ReturnsQueueTest, ClosedBySeller) {
  feed("order.placed", hello_kitty_order(), "2013-01-05T10:00:00Z");
  feed("return.requested", requested("S1"), "2013-01-07T10:00:00Z");
  feed("return.closed", closed("S1", "return_window_expired", "seller"), "2013-01-08T10:00:00Z");
  auto s = row("S1", "2013-01-09T00:00:00Z");
  EXPECT_EQ(str(s, "status"), "closed");
  EXPECT_EQ(str(s, "closed_by"), "seller");
  EXPECT_EQ(str(s, "close_reason"), "return_window_expired");
  EXPECT_EQ(str(s, "rma"), "null");
  EXPECT_EQ(ids(by(ClosedBy::kSeller), "2013-01-09T00:00:00Z"), Ids{"S1"});
}

TEST_F(ReturnsQueueTest, AuthorizedThenTwoPartialRefundsComplete) {
  // Two plush toys at 20.00: the returned items are worth 40.00.
  feed("order.placed", hello_kitty_order(), "2013-01-05T10:00:00Z");
  feed("return.requested", requested("P1", kOrder, "JEM-021835", 2), "2013-01-07T10:00:00Z");
  feed("refund.issued", refund("F1", "P1", "15.00", "partial"), "2013-01-07T12:00:00Z");
  feed("return.authorized", authorized("P1", "RMA0000001"), "2013-01-07T14:00:00Z");
  feed("return.item_received", R"({"return_id":"P1"})", "2013-01-10T09:00:00Z");
  feed("refund.issued", refund("F2", "P1", "25.00", "partial"), "2013-01-10T10:00:00Z");

  auto r = row("P1", "2013-01-07T11:00:00Z");
  EXPECT_EQ(str(r, "status"), "authorization_required");
  EXPECT_EQ(refunded(r), "0.00 EUR");
  EXPECT_EQ(str(r, "decided_at"), "null");

  r = row("P1", "2013-01-07T13:00:00Z");  // a partial refund is no authorization
  EXPECT_EQ(str(r, "status"), "authorization_required");
  EXPECT_EQ(refunded(r), "15.00 EUR");
  EXPECT_EQ(str(r, "decided_at"), "2013-01-07T12:00:00Z");

  r = row("P1", "2013-01-08T00:00:00Z");
  EXPECT_EQ(str(r, "status"), "authorized");
  EXPECT_EQ(str(r, "rma"), "RMA0000001");
  EXPECT_EQ(refunded(r), "15.00 EUR");
  EXPECT_EQ(ids(status("authorized"), "2013-01-08T00:00:00Z"), Ids{"P1"});
  EXPECT_EQ(ids(status("completed"), "2013-01-08T00:00:00Z"), Ids{});

  r = row("P1", "2013-01-11T00:00:00Z");
  EXPECT_EQ(str(r, "status"), "completed");
  EXPECT_EQ(str(r, "rma"), "RMA0000001");
  EXPECT_EQ(refunded(r), "40.00 EUR");
  EXPECT_EQ(str(r, "closed_by"), "null");
  EXPECT_EQ(ids(status("completed"), "2013-01-11T00:00:00Z"), Ids{"P1"});
  EXPECT_EQ(ids(status("authorized"), "2013-01-11T00:00:00Z"), Ids{});
}

TEST_F(ReturnsQueueTest, CompletionFollowsEventTimeNotLogOrder) {
  // Items worth 40.00; the later partial refund (25.00 on 10 January) is
  // logged before the earlier one (15.00 on 7 January).
  feed("order.placed", hello_kitty_order(), "2013-01-05T10:00:00Z");
  feed("return.requested", requested("P2", kOrder, "JEM-021835", 2), "2013-01-07T10:00:00Z");
  feed("refund.issued", refund("G2", "P2", "25.00", "partial"), "2013-01-10T10:00:00Z");
  feed("refund.issued", refund("G1", "P2", "15.00", "partial"), "2013-01-07T12:00:00Z");
  auto r = row("P2", "2013-01-08T00:00:00Z");
  EXPECT_EQ(str(r, "status"), "authorization_required");
  EXPECT_EQ(refunded(r), "15.00 EUR");
  r = row("P2", "2013-01-11T00:00:00Z");
  EXPECT_EQ(str(r, "status"), "completed");
  EXPECT_EQ(refunded(r), "40.00 EUR");
}

TEST_F(ReturnsQueueTest, FullRefundCompletesAtOnce) {
  feed("order.placed", hello_kitty_order(), "2013-01-05T10:00:00Z");
  feed("return.requested", requested("F"), "2013-01-07T10:00:00Z");
  feed("refund.issued", refund("X1", "F", "5.00", "full"), "2013-01-07T11:00:00Z");
  EXPECT_EQ(str(row("F", "2013-01-08T00:00:00Z"), "status"), "completed");
  EXPECT_EQ(refunded(row("F", "2013-01-08T00:00:00Z")), "5.00 EUR");
}

TEST_F(ReturnsQueueTest, DuplicateNeedsAnOpenEarlierRequestForTheSameSku) {
  feed("order.placed",
       order_placed(kOrder, item("A", "B0000000A1", "a", "5.00", 1, "toys") + "," +
                                item("B", "B0000000B1", "b", "5.00", 1, "toys")),
       "2013-01-05T10:00:00Z");
  feed("return.requested", requested("D1", kOrder, "A"), "2013-01-07T10:00:00Z");
  feed("return.requested", requested("D2", kOrder, "B"), "2013-01-07T11:00:00Z");  // other sku
  feed("return.requested", requested("D3", kOrder, "A"), "2013-01-07T12:00:00Z");  // duplicate
  feed("return.closed", closed("D1", "duplicate_request", "seller"), "2013-01-07T13:00:00Z");
  feed("return.closed", closed("D3", "duplicate_request", "seller"), "2013-01-07T13:30:00Z");
  feed("return.requested", requested("D4", kOrder, "A"), "2013-01-07T14:00:00Z");  // D1 closed
  const char* t = "2013-01-08T00:00:00Z";
  EXPECT_EQ(str(row("D1", t), "duplicate_of"), "null");
  EXPECT_EQ(str(row("D2", t), "duplicate_of"), "null");
  EXPECT_EQ(str(row("D3", t), "duplicate_of"), "D1");
  EXPECT_EQ(str(row("D4", t), "duplicate_of"), "null");
}

// A generation folded before row format 3 has no order's returns row, and
// duplicate_of scans the order's request rows there; both must agree.
class RowsOfFormat : public SellerRows {
 public:
  RowsOfFormat(const SellerRows& rows, uint32_t format) : rows_(rows), format_(format) {}
  uint32_t format() const override { return format_; }
  std::optional<std::string> get(std::string_view key) const override {
    ++gets;
    return rows_.get(key);
  }
  void scan(std::string_view begin, std::string_view end, bool reverse, const RowFn& fn) const override {
    ++scans;
    rows_.scan(begin, end, reverse, fn);
  }
  mutable size_t gets = 0, scans = 0;

 private:
  const SellerRows& rows_;
  uint32_t format_;
};

TEST_F(ReturnsQueueTest, DuplicatesFoundThroughTheOrdersReturnsRowAsThroughTheScan) {
  feed("order.placed",
       order_placed(kOrder, item("A", "B0000000A1", "a", "5.00", 1, "toys") + "," +
                                item("B", "B0000000B1", "b", "5.00", 1, "toys")),
       "2013-01-05T10:00:00Z");
  feed("order.placed", hello_kitty_order("403-0000000-0000002"), "2013-01-05T11:00:00Z");
  feed("return.requested", requested("D4", kOrder, "A"), "2013-01-07T14:00:00Z");  // logged first
  feed("return.requested", requested("D3", kOrder, "A"), "2013-01-07T12:00:00Z");
  feed("return.requested", requested("D1", kOrder, "A"), "2013-01-07T10:00:00Z");
  feed("return.requested", requested("D2", kOrder, "B"), "2013-01-07T11:00:00Z");
  feed("return.requested", requested("K1", "403-0000000-0000002"), "2013-01-07T10:30:00Z");
  feed("return.closed", closed("D1", "duplicate_request", "seller"), "2013-01-07T13:00:00Z");

  std::vector<std::string> listed;
  auto raw = rows_.get(return_rows::order_returns_key(kOrder));
  ASSERT_TRUE(raw);
  ASSERT_TRUE(return_rows::decode_order_returns(*raw, listed));
  EXPECT_EQ(listed, (std::vector<std::string>{"D4", "D3", "D1", "D2"}));  // in the order folded

  // At 12:30 D4 is not requested yet.
  for (const auto& [as_of, requests_then] : {std::pair{"2013-01-07T12:30:00Z", 4u}, {"2013-01-08T00:00:00Z", 5u}}) {
    ReturnsQuery q;
    q.as_of = at(as_of);
    RowsOfFormat by_row(rows_, kRowsFormat), by_scan(rows_, 2);
    const auto a = returns_json(by_row, kSeller, q), b = returns_json(by_scan, kSeller, q);
    ASSERT_EQ(a.index(), 0u);
    ASSERT_EQ(b.index(), 0u);
    EXPECT_EQ(std::get<0>(a), std::get<0>(b)) << as_of;
    size_t requests = 0;  // listed at as_of
    for (size_t at = 0; (at = std::get<0>(a).find("\"return_id\"", at)) != std::string::npos; ++at) ++requests;
    EXPECT_EQ(requests, requests_then);
    EXPECT_EQ(by_scan.scans, 1 + requests);  // the listing, then one per request
    EXPECT_EQ(by_row.scans, 1u);             // the listing alone
  }
  // D3 was requested while D1 (same sku, earlier) was open; D1 was closed at
  // 13:00, before D4's request at 14:00, so D4 duplicates D3.
  EXPECT_EQ(str(row("D3", "2013-01-08T00:00:00Z"), "duplicate_of"), "D1");
  EXPECT_EQ(str(row("D4", "2013-01-08T00:00:00Z"), "duplicate_of"), "D3");
  EXPECT_EQ(str(row("D2", "2013-01-08T00:00:00Z"), "duplicate_of"), "null");
  EXPECT_EQ(str(row("K1", "2013-01-08T00:00:00Z"), "duplicate_of"), "null");
}

TEST_F(ReturnsQueueTest, OverdueAndLateAfter48Hours) {
  feed("order.placed", hello_kitty_order(), "2013-01-05T10:00:00Z");
  feed("return.requested", requested("O1"), "2013-01-07T10:00:00Z");  // decided late
  feed("return.requested", requested("O2"), "2013-01-07T11:00:00Z");  // never decided
  feed("return.requested", requested("O3"), "2013-01-07T12:00:00Z");  // decided at exactly 48 h
  feed("return.closed", closed("O3", "technical_issue_resolved", "seller"), "2013-01-09T12:00:00Z");
  feed("return.authorized", authorized("O1", "RMALATE"), "2013-01-09T10:00:01Z");

  EXPECT_FALSE(row("O2", "2013-01-09T11:00:00Z")["overdue"].get_bool().value());  // due, not past
  EXPECT_TRUE(row("O2", "2013-01-09T11:00:00.000001Z")["overdue"].get_bool().value());
  EXPECT_TRUE(row("O1", "2013-01-09T10:00:00.5Z")["overdue"].get_bool().value());
  EXPECT_TRUE(row("O1", "2013-01-10T00:00:00Z")["overdue"].get_bool().value());  // answered late
  EXPECT_FALSE(row("O3", "2013-01-10T00:00:00Z")["overdue"].get_bool().value());
  EXPECT_EQ(str(row("O3", "2013-01-10T00:00:00Z"), "response_due_at"), "2013-01-09T12:00:00Z");

  const int64_t t = at("2013-01-10T00:00:00Z");
  auto s = return_response_stats(rows_, t - 30 * kMicrosPerDay, t, t);
  EXPECT_EQ(s.requests, 3);
  EXPECT_EQ(s.late, 2);  // O1 decided late, O2 undecided past 48 h
  const int64_t early = at("2013-01-08T00:00:00Z");
  s = return_response_stats(rows_, early - 30 * kMicrosPerDay, early, early);
  EXPECT_EQ(s.requests, 3);
  EXPECT_EQ(s.late, 0);  // nobody past 48 h yet
}

// ---- policy ----
TEST_F(ReturnsQueueTest, WindowHolidayExtensionAndCategories) {
  const std::string toys = item("T", "B0000000T1", "toy", "5.00", 1, "toys");
  // Shipped 2012-12-20, delivered 2012-12-22: the 30-day window ends
  // 2013-01-21T10:00Z, the holiday extension on 2013-01-31 23:59:59.999999Z.
  feed("order.placed", order_placed("111-0000001-0000001", toys), "2012-12-18T10:00:00Z");
  feed("order.shipped", order_ref("111-0000001-0000001"), "2012-12-20T10:00:00Z");
  feed("order.delivered", order_ref("111-0000001-0000001"), "2012-12-22T10:00:00Z");
  feed("order.placed", order_placed("111-0000001-0000002", toys), "2012-12-18T10:00:00Z");
  feed("order.shipped", order_ref("111-0000001-0000002"), "2012-12-20T10:00:00Z");
  feed("order.delivered", order_ref("111-0000001-0000002"), "2012-12-22T10:00:00Z");
  feed("return.requested", requested("H_IN", "111-0000001-0000001", "T", 1, "B0000000T1"),
       "2013-01-25T10:00:00Z");
  feed("return.requested", requested("H_OUT", "111-0000001-0000002", "T", 1, "B0000000T1"),
       "2013-02-02T10:00:00Z");
  // Shipped in January (no extension), delivered 2013-01-02T10:00Z: the window
  // ends 2013-02-01T10:00:00Z inclusive.
  for (const char* o : {"222-0000001-0000001", "222-0000001-0000002"}) {
    feed("order.placed", order_placed(o, toys), "2013-01-01T08:00:00Z");
    feed("order.shipped", order_ref(o), "2013-01-01T10:00:00Z");
    feed("order.delivered", order_ref(o), "2013-01-02T10:00:00Z");
  }
  feed("return.requested", requested("EDGE", "222-0000001-0000001", "T", 1, "B0000000T1"),
       "2013-02-01T10:00:00Z");
  feed("return.requested", requested("PAST", "222-0000001-0000002", "T", 1, "B0000000T1"),
       "2013-02-01T10:00:00.000001Z");
  // Grocery (any case) is never returnable.
  feed("order.placed",
       order_placed("333-0000001-0000001", item("G", "B0000000G1", "jam", "3.00", 1, "Grocery")),
       "2013-01-01T08:00:00Z");
  feed("order.delivered", order_ref("333-0000001-0000001"), "2013-01-02T10:00:00Z");
  feed("return.requested", requested("GROC", "333-0000001-0000001", "G", 1, "B0000000G1"),
       "2013-01-03T10:00:00Z");

  const char* t = "2013-03-01T00:00:00Z";
  EXPECT_TRUE(row("H_IN", t)["in_policy"].get_bool().value());
  EXPECT_FALSE(row("H_OUT", t)["in_policy"].get_bool().value());
  EXPECT_TRUE(row("EDGE", t)["in_policy"].get_bool().value());
  EXPECT_FALSE(row("PAST", t)["in_policy"].get_bool().value());
  EXPECT_FALSE(row("GROC", t)["in_policy"].get_bool().value());
}

TEST_F(ReturnsQueueTest, SellerWindowSettingsApplyPerMarketplace) {
  const std::string toys = item("T", "B0000000T1", "toy", "5.00", 1, "toys");
  feed("seller.return_settings_changed",
       std::string(R"({"auto_authorize":"policy","return_window_days":60,"return_address":)") +
           kShopAddress + R"(,"email_action_links":true})",
       "2013-01-01T00:00:00Z", "DE");
  for (const char* o : {"444-0000001-0000001", "444-0000001-0000002"}) {
    feed("order.placed", order_placed(o, toys), "2013-01-01T08:00:00Z");
    feed("order.delivered", order_ref(o), "2013-01-02T10:00:00Z");
  }
  // 40 days after delivery: out under the default 30 (FR), in under DE's 60.
  feed("return.requested", requested("FR40", "444-0000001-0000001", "T", 1, "B0000000T1"),
       "2013-02-11T10:00:00Z", "FR");
  feed("return.requested", requested("DE40", "444-0000001-0000002", "T", 1, "B0000000T1"),
       "2013-02-11T10:00:00Z", "DE");
  EXPECT_FALSE(row("FR40", "2013-03-01T00:00:00Z")["in_policy"].get_bool().value());
  EXPECT_TRUE(row("DE40", "2013-03-01T00:00:00Z")["in_policy"].get_bool().value());

  auto de = read_return_settings(static_cast<const SellerRows&>(rows_), "DE");
  ASSERT_TRUE(de.has_value());
  EXPECT_EQ(de->auto_authorize, AutoAuthorize::kPolicy);
  EXPECT_EQ(de->return_window_days, 60);
  EXPECT_EQ(de->return_address.postal_code, "08140");
  EXPECT_TRUE(de->email_action_links);
  EXPECT_FALSE(read_return_settings(static_cast<const SellerRows&>(rows_), "FR").has_value());
}

OrderFacts shipped_order(int64_t shipped, std::optional<int64_t> delivered,
                         const std::string& category = "toys") {
  OrderFacts o;
  o.order_id = kOrder;
  o.marketplace = "FR";
  o.currency = "EUR";
  o.items.push_back({"S", "A", "t", category, 1, 500});
  o.shipped_at = shipped;
  o.delivered_at = delivered;
  return o;
}

TEST(InReturnPolicyTest, HolidayExtensionEndsWithItsLastDay) {
  ReturnsPolicy p;
  const auto o = shipped_order(at("2012-12-20T10:00:00Z"), at("2012-12-22T10:00:00Z"));
  EXPECT_TRUE(in_return_policy(p, o, {"S"}, 30, at("2013-01-21T10:00:00Z")));  // window edge
  EXPECT_TRUE(in_return_policy(p, o, {"S"}, 30, at("2013-01-31T23:59:59.999999Z")));
  EXPECT_FALSE(in_return_policy(p, o, {"S"}, 30, at("2013-02-01T00:00:00Z")));
  // Shipped before the qualifying period: the window alone decides.
  const auto october = shipped_order(at("2012-10-31T23:59:59Z"), std::nullopt);
  EXPECT_TRUE(in_return_policy(p, october, {"S"}, 30, at("2012-11-30T23:59:59Z")));
  EXPECT_FALSE(in_return_policy(p, october, {"S"}, 30, at("2012-12-01T00:00:00Z")));
}

TEST(InReturnPolicyTest, OverridesBeatMarketplaceBeatsDefault) {
  ReturnsPolicy p;
  const auto o = shipped_order(at("2012-12-20T10:00:00Z"), at("2012-12-22T10:00:00Z"));
  const int64_t jan25 = at("2013-01-25T10:00:00Z");
  p.marketplace_holiday["FR"] = HolidayExtension{11, 1, 12, 31, 1, 20};
  EXPECT_FALSE(in_return_policy(p, o, {"S"}, 30, jan25));
  p.year_overrides["FR"][2012] = HolidayExtension{12, 1, 12, 24, 2, 15};
  EXPECT_TRUE(in_return_policy(p, o, {"S"}, 30, jan25));
  p.year_overrides["FR"][2012] = HolidayExtension{11, 1, 12, 15, 2, 15};  // shipped too late
  EXPECT_FALSE(in_return_policy(p, o, {"S"}, 30, jan25));
}

TEST(InReturnPolicyTest, CategoriesAndMissingDates) {
  ReturnsPolicy p;
  const int64_t t = at("2013-01-03T00:00:00Z");
  EXPECT_FALSE(in_return_policy(p, shipped_order(t, t, "CUSTOM"), {"S"}, 30, t));
  EXPECT_TRUE(in_return_policy(p, shipped_order(t, t, "custom made"), {"S"}, 30, t));
  // An unrequested item's category does not matter.
  EXPECT_TRUE(in_return_policy(p, shipped_order(t, t, "grocery"), {"OTHER"}, 30, t));
  // Window from shipping when no delivery is known.
  EXPECT_TRUE(in_return_policy(p, shipped_order(t, std::nullopt), {"S"}, 1, t + kMicrosPerDay));
  EXPECT_FALSE(
      in_return_policy(p, shipped_order(t, std::nullopt), {"S"}, 1, t + kMicrosPerDay + 1));
}

}  // namespace
}  // namespace carelog::returns_queue_test
