// The JSON decoder against spec/events.md: every decoder rejection code
// produced with the offending field's path. Accepted input:
// events_decoder_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/json_decoder.h"
#include "events/rejection.h"
#include "tests/unit/events_decoder_fixture.h"
#include "tests/unit/events_samples.h"

namespace carelog::events_decoder_rejections_test {
namespace {

using testing::Accepted;
using testing::DecoderTest;
using testing::sample_envelope;
using testing::kOrderId;
using testing::Rejected;
using testing::repeat;
using testing::sample_data;
using testing::with;

// ---- the decoder's rejection codes, one section each -----------------------------

TEST_F(DecoderTest, TooLarge) {
  JsonDecoder small({.max_record_bytes = 64});
  const std::string json = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(Rejected(small.decode(json), reject::kTooLarge, ""));
  EXPECT_TRUE(Rejected(small.decode(std::string(65, ' ')), reject::kTooLarge, ""));
}

TEST_F(DecoderTest, InvalidUtf8) {
  const std::string good = sample_envelope("order.cancelled", sample_data("order.cancelled"));
  EXPECT_TRUE(Rejected(decode(with(good, "erreur", "erreur\xff")), reject::kInvalidUtf8, ""));
  EXPECT_TRUE(
      Rejected(decode(with(good, "erreur", "\xc0\xaf")), reject::kInvalidUtf8, ""));  // overlong
  EXPECT_TRUE(Rejected(decode(with(good, "erreur", "\xed\xa0\x80")), reject::kInvalidUtf8,
                       ""));  // surrogate
  // Checked before JSON syntax.
  EXPECT_TRUE(Rejected(decode("{\"\xe9\""), reject::kInvalidUtf8, ""));
}

TEST_F(DecoderTest, InvalidJson) {
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(Rejected(decode(""), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode("   "), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode(good.substr(0, good.size() - 1)), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode(good + " x"), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode(good + "{}"), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode(good + "}"), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode("[] 1"), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode("1 2"), reject::kInvalidJson, ""));
  // Malformed inside a field the decoder would otherwise ignore.
  EXPECT_TRUE(Rejected(decode(with(good, "{\"order_id\"", R"({"x":[1,],"order_id")")),
                       reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode(with(good, "{\"order_id\"", R"({"x":01,"order_id")")),
                       reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode(with(good, "{\"order_id\"", R"({"x":nul,"order_id")")),
                       reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode(with(good, "{\"order_id\"", R"({"x":"\ud800","order_id")")),
                       reject::kInvalidJson, ""));
  // Syntax is checked before fields: a missing field does not mask a syntax error.
  EXPECT_TRUE(Rejected(decode(R"({"event_id":5,"data":[1,})"), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode(std::string(100, '[') + std::string(100, ']')), reject::kInvalidJson,
                       ""));  // nesting beyond the limit
}

TEST_F(DecoderTest, NotObject) {
  EXPECT_TRUE(Rejected(decode("[]"), reject::kNotObject, ""));
  EXPECT_TRUE(Rejected(decode(R"("order.placed")"), reject::kNotObject, ""));
  EXPECT_TRUE(Rejected(decode("42"), reject::kNotObject, ""));
  EXPECT_TRUE(Rejected(decode("null"), reject::kNotObject, ""));
  EXPECT_TRUE(Rejected(decode(" 42\n"), reject::kNotObject, ""));
  EXPECT_TRUE(Rejected(decode("-0.5e3"), reject::kNotObject, ""));
  EXPECT_TRUE(Rejected(decode("1."), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode("\"a\" \"b\""), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode("true false"), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode("null 1"), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode("truex"), reject::kInvalidJson, ""));
  EXPECT_TRUE(Rejected(decode("\"a\\x\""), reject::kInvalidJson, ""));  // bad escape
  EXPECT_TRUE(Rejected(decode(" true "), reject::kNotObject, ""));
  EXPECT_TRUE(Rejected(decode("\"a\\n\""), reject::kNotObject, ""));
  EXPECT_TRUE(Rejected(decode_data("order.delivered", "[]"), reject::kNotObject, "data"));
  EXPECT_TRUE(Rejected(decode_data("order.delivered", "null"), reject::kNotObject, "data"));
}

TEST_F(DecoderTest, MissingField) {
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("event_id":"evt-0001",)", "")), reject::kMissingField,
                       "event_id"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("type":"order.delivered",)", "")),
                       reject::kMissingField, "type"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("marketplace":"FR",)", "")), reject::kMissingField,
                       "marketplace"));
  EXPECT_TRUE(Rejected(decode(with(good, R"(,"data":{"order_id":"403-9930700-9360319"})", "")),
                       reject::kMissingField, "data"));
  EXPECT_TRUE(
      Rejected(decode_data("order.delivered", "{}"), reject::kMissingField, "data.order_id"));
  auto data = with(sample_data("order.placed"), R"("quantity":2,)", "");
  EXPECT_TRUE(
      Rejected(decode_data("order.placed", data), reject::kMissingField, "data.items[0].quantity"));
  data = with(sample_data("return.authorized"), R"("city":"Lyon",)", "");
  EXPECT_TRUE(Rejected(decode_data("return.authorized", data), reject::kMissingField,
                       "data.return_address.city"));
  data = with(sample_data("refund.issued"), R"(,"currency":"EUR")", "");
  EXPECT_TRUE(
      Rejected(decode_data("refund.issued", data), reject::kMissingField, "data.amount.currency"));
  data = with(sample_data("message.received"), R"(,"auto_reply":false)", "");
  EXPECT_TRUE(
      Rejected(decode_data("message.received", data), reject::kMissingField, "data.auto_reply"));
}

TEST_F(DecoderTest, WrongType) {
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("evt-0001")", "1")), reject::kWrongType, "event_id"));
  EXPECT_TRUE(
      Rejected(decode(with(good, R"("evt-0001")", "null")), reject::kWrongType, "event_id"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("schema_version":1)", R"("schema_version":"1")")),
                       reject::kWrongType, "schema_version"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("schema_version":1)", R"("schema_version":1.0)")),
                       reject::kWrongType, "schema_version"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("schema_version":1)", R"("schema_version":null)")),
                       reject::kWrongType, "schema_version"));
  auto placed = sample_data("order.placed");
  EXPECT_TRUE(
      Rejected(decode_data("order.placed", with(placed, R"("quantity":2)", R"("quantity":1.5)")),
               reject::kWrongType, "data.items[0].quantity"));
  EXPECT_TRUE(
      Rejected(decode_data("order.placed", with(placed, R"("quantity":2)", R"("quantity":"2")")),
               reject::kWrongType, "data.items[0].quantity"));
  EXPECT_TRUE(
      Rejected(decode_data("order.placed", with(placed, R"("amount":"12.50")", R"("amount":12.5)")),
               reject::kWrongType, "data.items[0].item_price.amount"));
  EXPECT_TRUE(Rejected(
      decode_data("order.placed", with(placed, R"("buyer_id":"BUYER-7781")", R"("buyer_id":null)")),
      reject::kWrongType, "data.buyer_id"));
  EXPECT_TRUE(
      Rejected(decode_data("order.placed", with(placed, R"("items":[)", R"("items":{"a":[)")),
               reject::kInvalidJson, ""));  // unbalanced: syntax first
  EXPECT_TRUE(Rejected(decode_data("order.delivered", R"({"order_id":["403-9930700-9360319"]})"),
                       reject::kWrongType, "data.order_id"));
  EXPECT_TRUE(Rejected(
      decode_data("order.placed", R"({"order_id":"403-9930700-9360319","buyer_id":"B","items":{},)"
                                  R"("latest_ship_date":"2013-01-09T19:36:31+01:00",)"
                                  R"("latest_delivery_date":"2013-01-09T19:36:31+01:00"})"),
      reject::kWrongType, "data.items"));
  EXPECT_TRUE(Rejected(
      decode_data("return.requested", with(sample_data("return.requested"), R"("items":[{"sku")",
                                           R"("items":["x",{"sku")")),
      reject::kWrongType, "data.items[0]"));
  EXPECT_TRUE(Rejected(
      decode_data("message.received", with(sample_data("message.received"), R"("auto_reply":false)",
                                           R"("auto_reply":"no")")),
      reject::kWrongType, "data.auto_reply"));
  EXPECT_TRUE(Rejected(
      decode_data("refund.issued", with(sample_data("refund.issued"),
                                        R"({"amount":"12.50","currency":"EUR"})", R"("12.50")")),
      reject::kWrongType, "data.amount"));
  const std::string bad_link =
      with(sample_data("notification.requested"), R"(["https)", R"([3,"https)");
  EXPECT_TRUE(Rejected(derived_.decode(sample_envelope("notification.requested", bad_link)),
                       reject::kWrongType, "data.action_links[0]"));
}

TEST_F(DecoderTest, UnknownAndReservedTypes) {
  EXPECT_TRUE(
      Rejected(decode(sample_envelope("order.exploded", "{}")), reject::kUnknownType, "type"));
  EXPECT_TRUE(Rejected(decode(sample_envelope("Order.Placed", sample_data("order.placed"))),
                       reject::kUnknownType, "type"));
  const std::string notification =
      sample_envelope("notification.requested", sample_data("notification.requested"));
  EXPECT_TRUE(Rejected(decode(notification), reject::kReservedType, "type"));
  EXPECT_TRUE(Accepted(derived_.decode(notification)));
}

TEST_F(DecoderTest, InvalidEnum) {
  EXPECT_TRUE(Rejected(decode_data("return.requested", with(sample_data("return.requested"),
                                                            "item_and_box_damaged", "broken")),
                       reject::kInvalidEnum, "data.reason"));
  EXPECT_TRUE(Rejected(decode_data("order.cancelled", with(sample_data("order.cancelled"),
                                                           R"("buyer")", R"("Buyer")")),
                       reject::kInvalidEnum, "data.cancelled_by"));
  EXPECT_TRUE(Rejected(decode_data("return.closed", with(sample_data("return.closed"),
                                                         "refund_without_return", "because")),
                       reject::kInvalidEnum, "data.close_reason"));
  EXPECT_TRUE(Rejected(
      decode_data("return.authorized",
                  with(sample_data("return.authorized"), R"("country":"FR")", R"("country":"fr")")),
      reject::kInvalidEnum, "data.return_address.country"));
  EXPECT_TRUE(Rejected(
      decode_data("message.sent",
                  with(sample_data("message.sent"), R"("sender":"seller")", R"("sender":"buyer")")),
      reject::kInvalidEnum, "data.sender"));
}

TEST_F(DecoderTest, LengthsAreCountedInCodePoints) {
  const std::string sent = sample_data("message.sent");
  const std::string body = "Bonjour, nous sommes désolés. Veuillez demander un retour.";
  // 4000 'é' are 8000 bytes but 4000 characters: accepted; 4001: rejected.
  auto r = decode_data("message.sent", with(sent, body, repeat("é", 4000)));
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(std::get<MessageSent>(r.value().data).body.size(), 8000u);
  EXPECT_TRUE(Rejected(decode_data("message.sent", with(sent, body, repeat("é", 4001))),
                       reject::kInvalidLength, "data.body"));
  EXPECT_TRUE(Rejected(decode_data("message.sent", with(sent, body, "")), reject::kInvalidLength,
                       "data.body"));
  // An escaped character counts once.
  EXPECT_TRUE(Accepted(decode_data("message.sent", with(sent, body, repeat("\\u00e9", 4000)))));
  EXPECT_TRUE(Rejected(
      decode_data("message.sent", with(sent, "RE: Question sur ma commande", repeat("€", 201))),
      reject::kInvalidLength, "data.subject"));

  const std::string received = sample_data("message.received");
  const std::string rbody = "Bonjour,\\nla tasse est arrivée fêlée. Que faire ?\\nMerci";
  EXPECT_TRUE(Accepted(decode_data("message.received", with(received, rbody, repeat("é", 16000)))));
  EXPECT_TRUE(Rejected(decode_data("message.received", with(received, rbody, repeat("é", 16001))),
                       reject::kInvalidLength, "data.body"));
  EXPECT_TRUE(Accepted(decode_data("message.received",
                                   with(received, "Question sur ma commande", repeat("ü", 200)))));
  EXPECT_TRUE(Rejected(
      decode_data("message.received", with(received, "Question sur ma commande", repeat("ü", 201))),
      reject::kInvalidLength, "data.subject"));

  const std::string ret = sample_data("return.requested");
  EXPECT_TRUE(Accepted(decode_data("return.requested",
                                   with(ret, "Arrivée fêlée, carton écrasé", repeat("à", 200)))));
  EXPECT_TRUE(Rejected(
      decode_data("return.requested", with(ret, "Arrivée fêlée, carton écrasé", repeat("à", 201))),
      reject::kInvalidLength, "data.comment"));
  const std::string closed = sample_data("return.closed");
  const std::string close_msg = "Remboursé sans retour, gardez l'article.";
  EXPECT_TRUE(Accepted(decode_data("return.closed", with(closed, close_msg, repeat("ç", 1000)))));
  EXPECT_TRUE(Rejected(decode_data("return.closed", with(closed, close_msg, repeat("ç", 1001))),
                       reject::kInvalidLength, "data.message"));
  const std::string feedback = sample_data("feedback.received");
  EXPECT_TRUE(
      Rejected(decode_data("feedback.received",
                           with(feedback, "Vendeur réactif, retour simple.", repeat("ô", 1001))),
               reject::kInvalidLength, "data.comment"));
  const std::string auth = sample_data("return.authorized");
  EXPECT_TRUE(
      Accepted(decode_data("return.authorized", with(auth, "DYrkY0qDRR", repeat("R", 32)))));
  EXPECT_TRUE(Rejected(decode_data("return.authorized", with(auth, "DYrkY0qDRR", repeat("R", 33))),
                       reject::kInvalidLength, "data.rma"));
  EXPECT_TRUE(Rejected(decode_data("return.authorized", with(auth, "DYrkY0qDRR", "")),
                       reject::kInvalidLength, "data.rma"));
}

TEST_F(DecoderTest, InvalidLengthOfIdsAndArrays) {
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(Rejected(decode(with(good, "evt-0001", "")), reject::kInvalidLength, "event_id"));
  EXPECT_TRUE(Accepted(decode(with(good, "evt-0001", repeat("e", 128)))));
  EXPECT_TRUE(Rejected(decode(with(good, "evt-0001", repeat("e", 129))), reject::kInvalidLength,
                       "event_id"));
  EXPECT_TRUE(Accepted(decode(with(good, "A2SELLER0001", repeat("S", 64)))));
  EXPECT_TRUE(Rejected(decode(with(good, "A2SELLER0001", repeat("S", 65))), reject::kInvalidLength,
                       "seller_id"));
  EXPECT_TRUE(
      Rejected(decode(with(good, "A2SELLER0001", "")), reject::kInvalidLength, "seller_id"));
  EXPECT_TRUE(Rejected(decode_data("message.no_response_needed", R"({"message_id":""})"),
                       reject::kInvalidLength, "data.message_id"));
  EXPECT_TRUE(Accepted(decode_data(
      "claim.decided", R"({"claim_id":")" + repeat("é", 128) + R"(","outcome":"granted"})")));
  EXPECT_TRUE(Rejected(decode_data("claim.decided", R"({"claim_id":")" + repeat("é", 129) +
                                                        R"(","outcome":"granted"})"),
                       reject::kInvalidLength, "data.claim_id"));
  EXPECT_TRUE(Rejected(
      decode_data("order.placed", R"({"order_id":"403-9930700-9360319","buyer_id":"B","items":[],)"
                                  R"("latest_ship_date":"2013-01-09T19:36:31+01:00",)"
                                  R"("latest_delivery_date":"2013-01-09T19:36:31+01:00"})"),
      reject::kInvalidLength, "data.items"));
  EXPECT_TRUE(Rejected(
      decode_data("return.requested",
                  with(sample_data("return.requested"),
                       R"([{"sku":"MUG-BLEU-01","asin":"B00A1B2C3D","quantity":1}])", "[]")),
      reject::kInvalidLength, "data.items"));
}

TEST_F(DecoderTest, InvalidId) {
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(Rejected(decode(with(good, "evt-0001", "évt-0001")), reject::kInvalidId, "event_id"));
  EXPECT_TRUE(
      Rejected(decode(with(good, "evt-0001", "evt\\t0001")), reject::kInvalidId, "event_id"));
  EXPECT_TRUE(
      Rejected(decode(with(good, "A2SELLER0001", "A2.SELLER")), reject::kInvalidId, "seller_id"));
  EXPECT_TRUE(
      Rejected(decode(with(good, "A2SELLER0001", "A2 SELLER")), reject::kInvalidId, "seller_id"));
  EXPECT_TRUE(Rejected(decode_data("message.no_response_needed", R"({"message_id":"MSG\u0007"})"),
                       reject::kInvalidId, "data.message_id"));
  EXPECT_TRUE(Rejected(decode_data("message.no_response_needed", "{\"message_id\":\"MSG\x7f\"}"),
                       reject::kInvalidId, "data.message_id"));
  EXPECT_TRUE(Rejected(
      decode_data("return.requested", with(sample_data("return.requested"),
                                           R"("sku":"MUG-BLEU-01")", R"("sku":"MUG\nBLEU")")),
      reject::kInvalidId, "data.items[0].sku"));
  // Free text may hold newlines and tabs.
  EXPECT_TRUE(
      Accepted(decode_data("order.cancelled", with(sample_data("order.cancelled"),
                                                   "Commande passée", "Commande\\n\\tpassée"))));
}

TEST_F(DecoderTest, InvalidOrderId) {
  for (std::string_view bad : {"403-993070-9360319", "403-9930700-93603190", "4O3-9930700-9360319",
                               "403_9930700_9360319", "", " 403-9930700-9360319"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(
        Rejected(decode_data("order.delivered", R"({"order_id":")" + std::string(bad) + R"("})"),
                 reject::kInvalidOrderId, "data.order_id"));
  }
  EXPECT_TRUE(Rejected(
      decode_data("message.sent", with(sample_data("message.sent"), kOrderId, "403-9930700")),
      reject::kInvalidOrderId, "data.order_id"));
  EXPECT_TRUE(Rejected(
      decode_data("feedback.received", with(sample_data("feedback.received"), kOrderId, "x")),
      reject::kInvalidOrderId, "data.order_id"));
}

TEST_F(DecoderTest, InvalidMoney) {
  const std::string refund = sample_data("refund.issued");
  for (std::string_view bad : {"2.505", "1e3", "", "-1.00", "12.", ".5", "012.00", "12,50",
                               " 12.50", "+1", "NaN", "1234567890123456"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(Rejected(
        decode_data("refund.issued",
                    with(refund, R"("amount":"12.50")", R"("amount":")" + std::string(bad) + "\"")),
        reject::kInvalidMoney, "data.amount.amount"));
  }
  const std::vector<std::pair<std::string_view, int64_t>> good = {
      {"2.50", 250}, {"2.5", 250}, {"2", 200},
      {"0.05", 5},   {"0", 0},     {"123456789012345.99", 12345678901234599}};
  for (const auto& [amount, cents] : good) {
    SCOPED_TRACE(amount);
    auto r = decode_data("refund.issued", with(refund, R"("amount":"12.50")",
                                               R"("amount":")" + std::string(amount) + "\""));
    ASSERT_TRUE(Accepted(r));
    EXPECT_EQ(std::get<RefundIssued>(r.value().data).amount.cents, cents);
  }
  EXPECT_TRUE(Rejected(decode_data("refund.issued", with(refund, R"("EUR")", R"("eur")")),
                       reject::kInvalidMoney, "data.amount.currency"));
  EXPECT_TRUE(Rejected(decode_data("refund.issued", with(refund, R"("EUR")", R"("EURO")")),
                       reject::kInvalidMoney, "data.amount.currency"));
  EXPECT_TRUE(Rejected(
      decode_data("order.placed", with(sample_data("order.placed"), R"("9.9")", R"("9.999")")),
      reject::kInvalidMoney, "data.items[1].item_price.amount"));
}

TEST_F(DecoderTest, OutOfRange) {
  const std::string placed = sample_data("order.placed");
  EXPECT_TRUE(
      Rejected(decode_data("order.placed", with(placed, R"("quantity":2)", R"("quantity":0)")),
               reject::kOutOfRange, "data.items[0].quantity"));
  EXPECT_TRUE(
      Rejected(decode_data("order.placed", with(placed, R"("quantity":2)", R"("quantity":-3)")),
               reject::kOutOfRange, "data.items[0].quantity"));
  EXPECT_TRUE(Rejected(
      decode_data("order.placed", with(placed, R"("quantity":2)", R"("quantity":2147483648)")),
      reject::kOutOfRange, "data.items[0].quantity"));
  EXPECT_TRUE(Rejected(decode_data("order.placed", with(placed, R"("quantity":2)",
                                                        R"("quantity":99999999999999999999999)")),
                       reject::kOutOfRange, "data.items[0].quantity"));
  auto r = decode_data("order.placed", with(placed, R"("quantity":2)", R"("quantity":2147483647)"));
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(std::get<OrderPlaced>(r.value().data).items[0].quantity, 2147483647);

  const std::string feedback = sample_data("feedback.received");
  EXPECT_TRUE(
      Rejected(decode_data("feedback.received", with(feedback, R"("rating":4)", R"("rating":6)")),
               reject::kOutOfRange, "data.rating"));
  EXPECT_TRUE(
      Rejected(decode_data("feedback.received", with(feedback, R"("rating":4)", R"("rating":0)")),
               reject::kOutOfRange, "data.rating"));
  EXPECT_TRUE(
      Accepted(decode_data("feedback.received", with(feedback, R"("rating":4)", R"("rating":1)"))));
  EXPECT_TRUE(
      Accepted(decode_data("feedback.received", with(feedback, R"("rating":4)", R"("rating":5)"))));
  const std::string settings = sample_data("seller.return_settings_changed");
  EXPECT_TRUE(Rejected(
      decode_data("seller.return_settings_changed",
                  with(settings, R"("return_window_days":30)", R"("return_window_days":366)")),
      reject::kOutOfRange, "data.return_window_days"));
  EXPECT_TRUE(Rejected(
      decode_data("seller.return_settings_changed",
                  with(settings, R"("return_window_days":30)", R"("return_window_days":0)")),
      reject::kOutOfRange, "data.return_window_days"));
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("schema_version":1)", R"("schema_version":-1)")),
                       reject::kOutOfRange, "schema_version"));
}

TEST_F(DecoderTest, InvalidMarketplace) {
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("FR")", R"("XX")")), reject::kInvalidMarketplace,
                       "marketplace"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("FR")", R"("fr")")), reject::kInvalidMarketplace,
                       "marketplace"));
  JsonDecoder extended({.marketplaces = {"FR", "MX"}});
  EXPECT_TRUE(Accepted(extended.decode(with(good, R"("FR")", R"("MX")"))));
  EXPECT_TRUE(Rejected(extended.decode(with(good, R"("FR")", R"("DE")")),
                       reject::kInvalidMarketplace, "marketplace"));
}

TEST_F(DecoderTest, UnsupportedSchemaVersion) {
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(Rejected(decode(with(good, R"("schema_version":1)", R"("schema_version":2)")),
                       reject::kUnsupportedSchema, "schema_version"));
  EXPECT_TRUE(
      Rejected(decode(with(good, R"("schema_version":1)", R"("schema_version":99999999999)")),
               reject::kUnsupportedSchema, "schema_version"));
}

TEST_F(DecoderTest, KeyMismatch) {
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  EXPECT_TRUE(
      Rejected(decode(good, std::string_view("A2SELLER0002")), reject::kKeyMismatch, "seller_id"));
  EXPECT_TRUE(Rejected(decode(good, std::string_view("")), reject::kKeyMismatch, "seller_id"));
}

}  // namespace
}  // namespace carelog::events_decoder_rejections_test
