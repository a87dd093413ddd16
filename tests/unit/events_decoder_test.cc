// The JSON decoder against spec/events.md: every type accepted, times, schema
// versions and upcasting, and mutated input. The rejection codes:
// events_decoder_rejections_test.cc.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "events/json_decoder.h"
#include "events/rejection.h"
#include "events/upcast.h"
#include "tests/unit/events_decoder_fixture.h"
#include "tests/unit/events_samples.h"

namespace carelog::events_decoder_test {
namespace {

using testing::Accepted;
using testing::all_samples;
using testing::DecoderTest;
using testing::sample_envelope;
using testing::kOccurredAtMicros;
using testing::Rejected;
using testing::Sample;
using testing::sample_data;
using testing::with;

// ---- acceptance ----------------------------------------------------------------

TEST_F(DecoderTest, AcceptsEveryTypeFromARealisticSample) {
  const auto samples = all_samples();
  ASSERT_EQ(samples.size(), static_cast<size_t>(kEventTypeCount));
  for (size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE(samples[i].type);
    auto r = derived_.decode(sample_envelope(samples[i].type, samples[i].data));
    ASSERT_TRUE(Accepted(r));
    const Event& e = r.value();
    EXPECT_EQ(e.type(), static_cast<EventType>(i));
    EXPECT_EQ(to_string(e.type()), samples[i].type);
    EXPECT_EQ(e.event_id, "evt-0001");
    EXPECT_EQ(e.seller_id, "A2SELLER0001");
    EXPECT_EQ(e.marketplace, "FR");
    EXPECT_EQ(e.schema_version, kCurrentSchemaVersion);
    EXPECT_EQ(e.occurred_at.micros, kOccurredAtMicros);
    EXPECT_EQ(e.occurred_at.offset_minutes, 60);
  }
}

TEST_F(DecoderTest, OrderPlacedFieldValues) {
  auto r = decode_data("order.placed", sample_data("order.placed"));
  ASSERT_TRUE(Accepted(r));
  const auto& d = std::get<OrderPlaced>(r.value().data);
  EXPECT_EQ(d.order_id, "403-9930700-9360319");
  EXPECT_EQ(d.buyer_id, "BUYER-7781");
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_EQ(d.items[0].sku, "MUG-BLEU-01");
  EXPECT_EQ(d.items[0].title, "Tasse en céramique bleue");
  EXPECT_EQ(d.items[0].quantity, 2);
  EXPECT_EQ(d.items[0].item_price, (Money{1250, "EUR"}));
  EXPECT_EQ(d.items[1].item_price.cents, 990);  // "9.9"
  EXPECT_EQ(d.items[1].category, "media");
  EXPECT_EQ(d.latest_ship_date.micros, kOccurredAtMicros + 2 * 86400LL * 1000000);
  EXPECT_EQ(order_id_of(r.value()), "403-9930700-9360319");
}

TEST_F(DecoderTest, ReturnAndMessageFieldValues) {
  auto r = decode_data("return.requested", sample_data("return.requested"));
  ASSERT_TRUE(Accepted(r));
  const auto& ret = std::get<ReturnRequested>(r.value().data);
  EXPECT_EQ(ret.reason, ReturnReason::kItemAndBoxDamaged);
  EXPECT_EQ(ret.comment, "Arrivée fêlée, carton écrasé");
  EXPECT_FALSE(ret.gift);
  ASSERT_EQ(ret.items.size(), 1u);
  EXPECT_EQ(ret.items[0].quantity, 1);

  r = decode_data("message.received", sample_data("message.received"));
  ASSERT_TRUE(Accepted(r));
  const auto& msg = std::get<MessageReceived>(r.value().data);
  EXPECT_EQ(msg.body, "Bonjour,\nla tasse est arrivée fêlée. Que faire ?\nMerci");
  EXPECT_EQ(msg.order_id, "403-9930700-9360319");
  EXPECT_FALSE(msg.auto_reply);

  r = decode_data("return.authorized", sample_data("return.authorized"));
  ASSERT_TRUE(Accepted(r));
  const auto& auth = std::get<ReturnAuthorized>(r.value().data);
  EXPECT_EQ(auth.rma, "DYrkY0qDRR");
  EXPECT_EQ(auth.return_address.country, "FR");
  EXPECT_EQ(auth.return_address.line2, "Bâtiment C");
  EXPECT_EQ(auth.label, LabelKind::kPrepaid);
}

TEST_F(DecoderTest, OptionalFieldsMayBeAbsentOrNull) {
  auto r = decode_data("order.shipped", R"({"order_id":"403-9930700-9360319"})");
  ASSERT_TRUE(Accepted(r));
  EXPECT_FALSE(std::get<OrderShipped>(r.value().data).tracking_id);
  r = decode_data("order.shipped",
                  R"({"order_id":"403-9930700-9360319","tracking_id":null,"carrier":null})");
  ASSERT_TRUE(Accepted(r));
  EXPECT_FALSE(std::get<OrderShipped>(r.value().data).carrier);
  r = decode_data("message.sent", R"({"message_id":"M1","thread_id":"T1","body":"Merci",)"
                                  R"("sender":"seller_auto","order_id":null})");
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(std::get<MessageSent>(r.value().data).sender, Sender::kSellerAuto);
  EXPECT_EQ(order_id_of(r.value()), "");
}

TEST_F(DecoderTest, ReturnWindowDefaultsToThirtyDays) {
  auto data =
      with(sample_data("seller.return_settings_changed"), R"("return_window_days":30,)", "");
  auto r = decode_data("seller.return_settings_changed", data);
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(std::get<ReturnSettingsChanged>(r.value().data).return_window_days, 30);
  data = with(sample_data("seller.return_settings_changed"), R"("return_window_days":30)",
              R"("return_window_days":365)");
  r = decode_data("seller.return_settings_changed", data);
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(std::get<ReturnSettingsChanged>(r.value().data).return_window_days, 365);
}

TEST_F(DecoderTest, UnknownFieldsAreIgnoredAnywhere) {
  std::string json = sample_envelope(
      "order.delivered",
      R"({"x_note":{"deep":[1,2.5,{"a":null}]},"order_id":"403-9930700-9360319","z":true})");
  json = with(json, "{\"event_id\"", R"({"producer":"feed-7","event_id")");
  auto r = decode(json);
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(std::get<OrderDelivered>(r.value().data).order_id, "403-9930700-9360319");
}

TEST_F(DecoderTest, FieldOrderDoesNotMatter) {
  const std::string json =
      R"({"data":{"order_id":"403-9930700-9360319"},"schema_version":1,"marketplace":"DE",)"
      R"("seller_id":"A2SELLER0001","occurred_at":"2013-01-07T18:36:31Z","type":"order.delivered",)"
      R"("event_id":"evt 0002"})";
  auto r = decode(json);
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(r.value().marketplace, "DE");
  EXPECT_EQ(r.value().event_id, "evt 0002");  // space is printable ASCII
  EXPECT_EQ(r.value().occurred_at.micros, kOccurredAtMicros);
}

TEST_F(DecoderTest, MatchingKeyIsAccepted) {
  EXPECT_TRUE(Accepted(decode(sample_envelope("order.delivered", sample_data("order.delivered")),
                              std::string_view("A2SELLER0001"))));
}

TEST_F(DecoderTest, DecoderIsReusableAfterRejections) {
  const std::string good = sample_envelope("order.delivered", sample_data("order.delivered"));
  ASSERT_TRUE(Accepted(decode(good)));
  ASSERT_FALSE(decode("{").ok());
  ASSERT_FALSE(decode(std::string(5000, ' ') + "[]").ok());  // grows the buffer
  auto r = decode(good);
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(order_id_of(r.value()), "403-9930700-9360319");
}

// ---- times ----------------------------------------------------------------------

Result<Event> decode_at(JsonDecoder& d, std::string_view occurred_at) {
  std::string json = sample_envelope("order.delivered", R"({"order_id":"403-9930700-9360319"})");
  return d.decode(with(json, testing::kOccurredAt, occurred_at));
}

TEST_F(DecoderTest, TimesWithOffsetsAndFractions) {
  auto r = decode_at(decoder_, "2013-01-07T19:36:31.123456Z");
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(r.value().occurred_at.micros, 1357587391123456);
  EXPECT_EQ(r.value().occurred_at.offset_minutes, 0);

  r = decode_at(decoder_, "2013-01-07T13:06:31-05:30");
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(r.value().occurred_at.micros, kOccurredAtMicros);  // 18:36:31Z
  EXPECT_EQ(r.value().occurred_at.offset_minutes, -330);

  r = decode_at(decoder_, "2013-01-07T18:36:31.5z");
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(r.value().occurred_at.micros, kOccurredAtMicros + 500000);

  r = decode_at(decoder_, "2012-02-29T00:00:00+00:00");  // leap day
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(r.value().occurred_at.micros, 1330473600000000);

  r = decode_at(decoder_, "1970-01-01T00:00:00Z");
  ASSERT_TRUE(Accepted(r));
  EXPECT_EQ(r.value().occurred_at.micros, 0);
}

// Event times are from 1970 on, and no later than the clock plus the
// allowed skew: one event stamped 2999 would move its seller's default
// as_of there.
TEST_F(DecoderTest, TimesBefore1970OrPastTheClockAndItsSkewAreRejected) {
  EXPECT_TRUE(Rejected(decode_at(decoder_, "1969-12-31T23:59:59.5Z"), reject::kInvalidTime, "occurred_at"));
  EXPECT_TRUE(Rejected(decode_at(decoder_, "1970-01-01T00:30:00+01:00"), reject::kInvalidTime, "occurred_at"));
  EXPECT_TRUE(Rejected(decode_at(decoder_, "2999-01-01T00:00:00Z"), reject::kFutureTime, "occurred_at"));
  DecoderOptions o;
  const int64_t now = 1357587391000000;  // 2013-01-07T19:36:31Z
  o.now_micros = [now] { return now; };
  o.max_future_micros = 3'600'000'000;  // an hour
  JsonDecoder at_2013(o);
  EXPECT_TRUE(Accepted(decode_at(at_2013, "2013-01-07T20:36:31Z")));
  EXPECT_TRUE(Rejected(decode_at(at_2013, "2013-01-07T20:36:31.000001Z"), reject::kFutureTime, "occurred_at"));
  EXPECT_TRUE(Accepted(decode_at(at_2013, "2013-01-07T21:36:31+01:00")));  // the same instant
}

// A member twice in one object (at the top or anywhere inside, however its
// name is escaped) is rejected: which value counts differs between readers.
TEST_F(DecoderTest, DuplicateMembersAreRejected) {
  const std::string good = sample_envelope("order.delivered", R"({"order_id":"403-9930700-9360319"})");
  ASSERT_TRUE(Accepted(decoder_.decode(good)));
  const std::string top = good.substr(0, good.size() - 1) + R"(,"seller_id":"OTHER"})";
  EXPECT_TRUE(Rejected(decoder_.decode(top), reject::kDuplicateKey, "seller_id"));
  const std::string nested = sample_envelope(
      "order.delivered", R"({"order_id":"403-9930700-9360319","order_id":"403-0000000-0000001"})");
  EXPECT_TRUE(Rejected(decoder_.decode(nested), reject::kDuplicateKey, "order_id"));
  const std::string deep = sample_envelope(
      "order.delivered", R"({"order_id":"403-9930700-9360319","extra":[{"a":1,"b":2,"a":3}]})");
  EXPECT_TRUE(Rejected(decoder_.decode(deep), reject::kDuplicateKey, "a"));
}

TEST_F(DecoderTest, RejectsMalformedTimes) {
  for (std::string_view bad : {"2013-01-07T19:36:31",           // no offset
                               "2013-01-07T19:36+01:00",        // no seconds
                               "2013-02-30T10:00:00Z",          // Feb 30
                               "2013-02-29T10:00:00Z",          // not a leap year
                               "2013-01-07T24:00:00Z",          // hour 24
                               "2013-01-07T19:36:31.Z",         // empty fraction
                               "2013-01-07T19:36:31.1234567Z",  // below microseconds
                               "2013-01-07 19:36:31Z",          // no T
                               "2013-01-07T19:36:31+0100",      // offset without colon
                               "2013-1-07T19:36:31Z", "", "yesterday"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(Rejected(decode_at(decoder_, bad), reject::kInvalidTime, "occurred_at"));
  }
  auto data = with(sample_data("order.placed"), "2013-01-14T23:59:59+01:00", "2013-01-14");
  EXPECT_TRUE(Rejected(decode_data("order.placed", data), reject::kInvalidTime,
                       "data.latest_delivery_date"));
}

// ---- schema versions and upcasting ------------------------------------------------

TEST_F(DecoderTest, V0MessageSentWithoutSenderIsUpcastToSeller) {
  const std::string v1 = sample_data("message.sent");
  const std::string v0 = with(v1, R"(,"sender":"seller")", "");
  auto old = decode(sample_envelope("message.sent", v0, /*schema_version=*/""));
  ASSERT_TRUE(Accepted(old));
  EXPECT_EQ(std::get<MessageSent>(old.value().data).sender, Sender::kSeller);
  EXPECT_EQ(old.value().schema_version, kCurrentSchemaVersion);
  auto current = decode(sample_envelope("message.sent", v1));
  ASSERT_TRUE(Accepted(current));
  EXPECT_EQ(old.value(), current.value());

  auto explicit_zero = decode(sample_envelope("message.sent", v0, "0"));
  ASSERT_TRUE(Accepted(explicit_zero));
  EXPECT_EQ(explicit_zero.value(), current.value());

  // A v0 envelope that does name the sender keeps it.
  auto auto_sender = decode(sample_envelope(
      "message.sent", with(v1, R"("sender":"seller")", R"("sender":"seller_auto")"), ""));
  ASSERT_TRUE(Accepted(auto_sender));
  EXPECT_EQ(std::get<MessageSent>(auto_sender.value().data).sender, Sender::kSellerAuto);
}

TEST_F(DecoderTest, V1MessageSentRequiresSender) {
  const std::string v0 = with(sample_data("message.sent"), R"(,"sender":"seller")", "");
  EXPECT_TRUE(Rejected(decode(sample_envelope("message.sent", v0, "1")), reject::kMissingField,
                       "data.sender"));
  const std::string null_sender =
      with(sample_data("message.sent"), R"("sender":"seller")", R"("sender":null)");
  EXPECT_TRUE(Rejected(decode(sample_envelope("message.sent", null_sender)), reject::kWrongType,
                       "data.sender"));
}

TEST(UpcastTest, ImpliedSender) {
  EXPECT_EQ(Upcast::implied_sender(0), Sender::kSeller);
  EXPECT_EQ(Upcast::implied_sender(1), std::nullopt);
}

TEST_F(DecoderTest, OtherTypesDecodeTheSameAtVersionZero) {
  for (const Sample& s : all_samples()) {
    SCOPED_TRACE(s.type);
    auto v0 = derived_.decode(sample_envelope(s.type, s.data, ""));
    auto v1 = derived_.decode(sample_envelope(s.type, s.data, "1"));
    ASSERT_TRUE(Accepted(v0));
    ASSERT_TRUE(Accepted(v1));
    EXPECT_EQ(v0.value(), v1.value());
  }
}

// ---- robustness -------------------------------------------------------------------

// Mutated samples are either accepted or rejected with a decoder code; never a crash
// (run under ASan/UBSan).
TEST_F(DecoderTest, MutatedInputNeverCrashes) {
  static const std::set<std::string, std::less<>> kDecoderCodes = {
      reject::kInvalidJson,        reject::kNotObject,         reject::kTooLarge,
      reject::kInvalidUtf8,        reject::kMissingField,      reject::kWrongType,
      reject::kUnknownType,        reject::kReservedType,      reject::kInvalidEnum,
      reject::kInvalidLength,      reject::kInvalidId,         reject::kInvalidOrderId,
      reject::kInvalidTime,        reject::kInvalidMoney,      reject::kOutOfRange,
      reject::kInvalidMarketplace, reject::kUnsupportedSchema, reject::kKeyMismatch,
      reject::kFutureTime,         reject::kDuplicateKey};
  uint64_t state = 0x9E3779B97F4A7C15u;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  static constexpr char kAlphabet[] = "{}[]\",:\\0123456789.-eE tnfu\xc3\xa9\xff";
  size_t accepted = 0;
  for (const Sample& s : all_samples()) {
    const std::string json = sample_envelope(s.type, s.data);
    for (int round = 0; round < 300; ++round) {
      std::string m = json;
      const int edits = 1 + static_cast<int>(next() % 3);
      for (int k = 0; k < edits; ++k) {
        const size_t pos = next() % m.size();
        const char c = kAlphabet[next() % (sizeof kAlphabet - 1)];
        switch (next() % 3) {
          case 0:
            m[pos] = c;
            break;
          case 1:
            m.insert(pos, 1, c);
            break;
          default:
            m.erase(pos, 1);
            break;
        }
      }
      auto r = derived_.decode(m);
      if (r.ok()) {
        ++accepted;
      } else {
        EXPECT_TRUE(kDecoderCodes.count(r.rejection().code)) << r.rejection().code;
      }
    }
  }
  EXPECT_LT(accepted, 18u * 300u);  // the mutations do break things
}

}  // namespace
}  // namespace carelog::events_decoder_test
