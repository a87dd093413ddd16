// The JSON encoder and the binary log codec: round trips for every type, the
// exact JSON form, and corrupt log records.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "events/json_decoder.h"
#include "events/json_encoder.h"
#include "events/log_codec.h"
#include "tests/unit/events_samples.h"

namespace carelog::events_codec_test {
namespace {

using testing::all_samples;
using testing::sample_envelope;
using testing::Sample;

std::vector<Event> decoded_samples() {
  JsonDecoder decoder({.allow_derived_types = true});
  std::vector<Event> events;
  for (const Sample& s : all_samples()) {
    auto r = decoder.decode(sample_envelope(s.type, s.data));
    EXPECT_TRUE(r.ok()) << s.type << ": " << (r.ok() ? "" : r.rejection().message);
    if (r.ok()) events.push_back(std::move(r.value()));
  }
  return events;
}

// Events built in code, with values a JSON sample does not easily show.
std::vector<Event> edge_events() {
  std::vector<Event> events;
  Event e;
  e.event_id = "derived:evt \"quoted\" \\ 0001:1";
  e.seller_id = "A2SELLER0001";
  e.marketplace = "FR";
  e.occurred_at = {-500000, -330};  // before the epoch, at -05:30, half a second
  MessageSent sent;
  sent.message_id = "M1";
  sent.thread_id = "T1";
  sent.body = std::string("tab\there \"quotes\" back\\slash \x01\x1f\x7f nl\n é € 😀");
  sent.subject = "";
  sent.sender = Sender::kSellerAuto;
  e.data = sent;
  events.push_back(e);

  e.event_id = "evt-2";
  e.occurred_at = {1357583791000001, 14 * 60};  // one microsecond, +14:00
  RefundIssued refund;
  refund.refund_id = "R1";
  refund.order_id = "403-9930700-9360319";
  refund.amount = {99999999999999999, "EUR"};
  e.data = refund;
  events.push_back(e);

  e.occurred_at = {253402300799999999, 0};  // 9999-12-31T23:59:59.999999Z
  refund.amount = {0, "JPY"};
  e.data = refund;
  events.push_back(e);

  NotificationRequested notification;
  notification.to = NotifyTo::kBuyer;
  notification.template_name = "return_closed";
  notification.message_id = "MSG-1";
  notification.action_links = std::vector<std::string>{};  // present but empty
  e.data = notification;
  events.push_back(e);

  ReturnSettingsChanged settings;
  settings.return_address = {"N",          "L1",    std::nullopt, "C",
                             std::nullopt, "75001", "FR",         std::nullopt};
  e.data = settings;  // all optionals absent
  events.push_back(e);
  return events;
}

// ---- round trips -----------------------------------------------------------------

TEST(CodecTest, JsonRoundTripEveryType) {
  JsonDecoder decoder({.allow_derived_types = true});
  const auto events = decoded_samples();
  ASSERT_EQ(events.size(), static_cast<size_t>(kEventTypeCount));
  for (const Event& e : events) {
    SCOPED_TRACE(to_string(e.type()));
    const std::string json = encode_json(e);
    auto r = decoder.decode(json);
    ASSERT_TRUE(r.ok()) << r.rejection().message << "\n" << json;
    EXPECT_EQ(r.value(), e);
    EXPECT_EQ(encode_json(r.value()), json);
  }
}

TEST(CodecTest, BinaryRoundTripEveryType) {
  const auto events = decoded_samples();
  ASSERT_EQ(events.size(), static_cast<size_t>(kEventTypeCount));
  for (const Event& e : events) {
    SCOPED_TRACE(to_string(e.type()));
    const std::string bytes = encode_binary(e);
    EXPECT_EQ(bytes[0], 1);  // format version
    auto r = decode_binary(bytes);
    ASSERT_TRUE(r.ok()) << r.rejection().message;
    EXPECT_EQ(r.value(), e);
    EXPECT_EQ(encode_binary(r.value()), bytes);
  }
}

TEST(CodecTest, RoundTripsOfEdgeValues) {
  // (A clock at the end of 9999: the decoder takes no event time past it.)
  JsonDecoder decoder({.allow_derived_types = true, .now_micros = [] { return int64_t{253402300799999999}; }});
  for (const Event& e : edge_events()) {
    SCOPED_TRACE(to_string(e.type()));
    const std::string json = encode_json(e);
    auto r = decoder.decode(json);
    if (e.occurred_at.micros < 0) {  // the binary codec holds it; the decoder takes times from 1970 on
      ASSERT_FALSE(r.ok()) << json;
      EXPECT_EQ(r.rejection().code, reject::kInvalidTime);
    } else {
      ASSERT_TRUE(r.ok()) << r.rejection().code << " " << r.rejection().message << "\n" << json;
      EXPECT_EQ(r.value(), e) << json;
    }
    auto b = decode_binary(encode_binary(e));
    ASSERT_TRUE(b.ok()) << b.rejection().message;
    EXPECT_EQ(b.value(), e);
  }
}

TEST(CodecTest, EncodeBinaryAppends) {
  const auto events = decoded_samples();
  std::string out = "prefix";
  encode_binary(events[0], out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.substr(6), encode_binary(events[0]));
}

// ---- the JSON form -----------------------------------------------------------------

TEST(CodecTest, EncodeJsonIsTheCompactSpecForm) {
  // The samples are written in the spec's member order with canonical values,
  // so the encoder reproduces them byte for byte; "9.9" becomes "9.90".
  const auto samples = all_samples();
  const auto events = decoded_samples();
  ASSERT_EQ(events.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE(samples[i].type);
    std::string expected = sample_envelope(samples[i].type, samples[i].data);
    if (samples[i].type == "order.placed") {
      expected.replace(expected.find(R"("9.9")"), 5, R"("9.90")");
    }
    EXPECT_EQ(encode_json(events[i]), expected);
  }
}

TEST(CodecTest, EncodeJsonOmitsAbsentOptionals) {
  Event e;
  e.event_id = "evt-9";
  e.seller_id = "A2SELLER0001";
  e.marketplace = "FR";
  e.occurred_at = {1357583791000000, 0};
  e.data = OrderShipped{"403-9930700-9360319", std::nullopt, std::string("DHL")};
  EXPECT_EQ(encode_json(e),
            R"({"event_id":"evt-9","type":"order.shipped","occurred_at":"2013-01-07T18:36:31Z",)"
            R"("seller_id":"A2SELLER0001","marketplace":"FR","schema_version":1,)"
            R"("data":{"order_id":"403-9930700-9360319","carrier":"DHL"}})");
}

TEST(CodecTest, FormatRfc3339KeepsTheWritersOffset) {
  EXPECT_EQ(format_rfc3339({1357583791000000, 60}), "2013-01-07T19:36:31+01:00");
  EXPECT_EQ(format_rfc3339({1357583791000000, 0}), "2013-01-07T18:36:31Z");
  EXPECT_EQ(format_rfc3339({1357583791000000, -330}), "2013-01-07T13:06:31-05:30");
  EXPECT_EQ(format_rfc3339({1357587391123456, 0}), "2013-01-07T19:36:31.123456Z");
  EXPECT_EQ(format_rfc3339({1357583791500000, 60}), "2013-01-07T19:36:31.5+01:00");
  EXPECT_EQ(format_rfc3339({1357583791000010, 0}), "2013-01-07T18:36:31.00001Z");
  EXPECT_EQ(format_rfc3339({-500000, 0}), "1969-12-31T23:59:59.5Z");
  EXPECT_EQ(format_rfc3339({0, -60}), "1969-12-31T23:00:00-01:00");
  EXPECT_EQ(format_rfc3339({1330473600000000, 0}), "2012-02-29T00:00:00Z");
}

TEST(CodecTest, FormatMoneyAmount) {
  EXPECT_EQ(format_money_amount(1250), "12.50");
  EXPECT_EQ(format_money_amount(1200), "12.00");
  EXPECT_EQ(format_money_amount(5), "0.05");
  EXPECT_EQ(format_money_amount(0), "0.00");
  EXPECT_EQ(format_money_amount(-5), "-0.05");
  EXPECT_EQ(format_money_amount(-123456), "-1234.56");
  EXPECT_EQ(format_money_amount(std::numeric_limits<int64_t>::min()), "-92233720368547758.08");
  EXPECT_EQ(format_money_amount(std::numeric_limits<int64_t>::max()), "92233720368547758.07");
}

TEST(CodecTest, AppendJsonStringEscapes) {
  std::string out = "x";
  append_json_string(out, std::string("a\"b\\c\nd\te\x01\x1f\x7f é/", 16));
  EXPECT_EQ(out, "x\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\x7f é/\"");
  out.clear();
  append_json_string(out, std::string_view("\0", 1));
  EXPECT_EQ(out, "\"\\u0000\"");
}

// ---- corrupt log records ------------------------------------------------------------

std::string sample_bytes(EventType type) {
  for (const Event& e : decoded_samples()) {
    if (e.type() == type) return encode_binary(e);
  }
  ADD_FAILURE();
  return {};
}

::testing::AssertionResult Corrupt(const Result<Event>& r) {
  if (r.ok()) return ::testing::AssertionFailure() << "decoded";
  if (r.rejection().code != "corrupt" || r.rejection().message.empty()) {
    return ::testing::AssertionFailure() << r.rejection().code << ": " << r.rejection().message;
  }
  return ::testing::AssertionSuccess();
}

TEST(CodecTest, RejectsOtherFormatVersions) {
  std::string bytes = sample_bytes(EventType::kOrderCancelled);
  EXPECT_TRUE(Corrupt(decode_binary("")));
  bytes[0] = 2;
  EXPECT_TRUE(Corrupt(decode_binary(bytes)));
  bytes[0] = 0;
  EXPECT_TRUE(Corrupt(decode_binary(bytes)));
  bytes[0] = 1;
  EXPECT_TRUE(decode_binary(bytes).ok());
}

TEST(CodecTest, RejectsEveryTruncationAndTrailingBytes) {
  for (EventType type :
       {EventType::kOrderPlaced, EventType::kReturnAuthorized, EventType::kNotificationRequested}) {
    const std::string bytes = sample_bytes(type);
    for (size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(n);
      EXPECT_TRUE(Corrupt(decode_binary(std::string_view(bytes).substr(0, n))));
    }
    EXPECT_TRUE(Corrupt(decode_binary(bytes + '\0')));
  }
}

// Each thread decodes every record through one reused stream: a record
// rejected midway leaves the next decode on that thread intact, and threads
// encoding and decoding at once get each their own records back (the TSan
// build checks that they share nothing).
TEST(CodecTest, ARejectedRecordLeavesTheNextDecodeIntact) {
  const std::string bytes = sample_bytes(EventType::kMessageReceived);
  const Event expected = decode_binary(bytes).value();
  for (size_t n = 1; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    ASSERT_TRUE(Corrupt(decode_binary(std::string_view(bytes).substr(0, n))));
    auto r = decode_binary(bytes);
    ASSERT_TRUE(r.ok()) << r.rejection().message;
    EXPECT_EQ(r.value(), expected);
    EXPECT_EQ(encode_binary(r.value()), bytes);
  }
}

TEST(CodecTest, ThreadsEncodeAndDecodeAtOnce) {
  const auto events = decoded_samples();
  std::vector<std::string> bytes;
  for (const Event& e : events) bytes.push_back(encode_binary(e));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 300; ++round) {
        for (size_t i = 0; i < events.size(); ++i) {
          auto r = decode_binary(bytes[i]);
          if (!r.ok() || !(r.value() == events[i]) || encode_binary(r.value()) != bytes[i]) ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(CodecTest, RejectsAHugeSizePrefixWithoutAllocatingIt) {
  // [format byte][cereal endianness byte][u64 little-endian size of event_id]...
  std::string bytes = sample_bytes(EventType::kOrderDelivered);
  uint64_t size;
  std::memcpy(&size, bytes.data() + 2, 8);
  ASSERT_EQ(size, std::string_view("evt-0001").size());
  for (uint64_t huge : {uint64_t{1} << 34, uint64_t{1} << 62, ~uint64_t{0}}) {
    std::memcpy(bytes.data() + 2, &huge, 8);
    EXPECT_TRUE(Corrupt(decode_binary(bytes)));
  }
}

TEST(CodecTest, RejectsOutOfRangeEnumsAndVariantIndexes) {
  const std::string order_id = "403-9930700-9360319";
  std::string bytes = sample_bytes(EventType::kOrderCancelled);
  const size_t at = bytes.find(order_id);
  ASSERT_NE(at, std::string::npos);
  // order.cancelled payload: [u64 size][order_id][u8 cancelled_by]...
  std::string bad_enum = bytes;
  ASSERT_EQ(bad_enum[at + order_id.size()], 0);  // buyer
  bad_enum[at + order_id.size()] = 3;
  EXPECT_TRUE(Corrupt(decode_binary(bad_enum)));
  bad_enum[at + order_id.size()] = 2;  // marketplace: still valid
  ASSERT_TRUE(decode_binary(bad_enum).ok());
  EXPECT_EQ(std::get<OrderCancelled>(decode_binary(bad_enum).value().data).cancelled_by,
            CancelledBy::kMarketplace);
  // ...preceded by the variant's i32 alternative index.
  std::string bad_index = bytes;
  const size_t index_at = at - 8 - 4;
  ASSERT_EQ(bad_index[index_at], static_cast<char>(EventType::kOrderCancelled));
  bad_index[index_at] = static_cast<char>(kEventTypeCount);
  EXPECT_TRUE(Corrupt(decode_binary(bad_index)));
}

TEST(CodecTest, RejectsBoolBytesOtherThanZeroAndOne) {
  // message.received ends with its auto_reply bool; optionals start with a bool flag.
  std::string bytes = sample_bytes(EventType::kMessageReceived);
  ASSERT_EQ(bytes.back(), 0);  // auto_reply: false
  bytes.back() = 1;
  ASSERT_TRUE(decode_binary(bytes).ok());
  EXPECT_TRUE(std::get<MessageReceived>(decode_binary(bytes).value().data).auto_reply);
  bytes.back() = 2;
  EXPECT_TRUE(Corrupt(decode_binary(bytes)));

  std::string shipped = sample_bytes(EventType::kOrderShipped);
  const size_t flag_at = shipped.find("403-9930700-9360319") + 19;  // tracking_id present?
  ASSERT_EQ(shipped[flag_at], 1);
  shipped[flag_at] = 7;
  EXPECT_TRUE(Corrupt(decode_binary(shipped)));
}

TEST(CodecTest, RandomCorruptionNeverCrashes) {
  uint64_t state = 88172645463325252u;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (const Event& e : decoded_samples()) {
    const std::string bytes = encode_binary(e);
    for (int round = 0; round < 200; ++round) {
      std::string m = bytes;
      const int flips = 1 + static_cast<int>(next() % 4);
      for (int k = 0; k < flips; ++k) m[next() % m.size()] ^= static_cast<char>(1 << (next() % 8));
      auto r = decode_binary(m);
      if (!r.ok()) {
        EXPECT_EQ(r.rejection().code, "corrupt");
      }
    }
  }
}

// ---- event.h helpers ----------------------------------------------------------------

TEST(EventTest, OrderIdOf) {
  std::set<EventType> with_order = {EventType::kOrderPlaced,     EventType::kOrderShipped,
                                    EventType::kOrderDelivered,  EventType::kOrderCancelled,
                                    EventType::kMessageReceived, EventType::kMessageSent,
                                    EventType::kReturnRequested, EventType::kRefundIssued,
                                    EventType::kClaimFiled,      EventType::kFeedbackReceived};
  for (const Event& e : decoded_samples()) {
    SCOPED_TRACE(to_string(e.type()));
    EXPECT_EQ(order_id_of(e), with_order.count(e.type()) ? "403-9930700-9360319" : "");
  }
}

template <class E>
void expect_names_round_trip(int count) {
  for (int i = 0; i < count; ++i) {
    const E value = static_cast<E>(i);
    const std::string_view name = to_string(value);
    EXPECT_FALSE(name.empty()) << i;
    E parsed{};
    ASSERT_TRUE(parse_enum(name, parsed)) << name;
    EXPECT_EQ(parsed, value);
  }
  EXPECT_TRUE(to_string(static_cast<E>(count)).empty());
  E parsed{};
  EXPECT_FALSE(parse_enum("", parsed));
  EXPECT_FALSE(parse_enum("nope", parsed));
}

TEST(EventTest, EnumNamesRoundTrip) {
  expect_names_round_trip<EventType>(kEventTypeCount);
  expect_names_round_trip<CancelledBy>(3);
  expect_names_round_trip<Sender>(2);
  expect_names_round_trip<ReturnReason>(12);
  expect_names_round_trip<CloseReason>(11);
  expect_names_round_trip<LabelKind>(3);
  expect_names_round_trip<AuthorizedBy>(2);
  expect_names_round_trip<ClosedBy>(3);
  expect_names_round_trip<RefundKind>(2);
  expect_names_round_trip<ClaimKind>(2);
  expect_names_round_trip<ClaimOutcome>(3);
  expect_names_round_trip<AutoAuthorize>(3);
  expect_names_round_trip<NotifyTo>(2);
}

TEST(EventTest, EnumNamesAreTheSpecsStrings) {
  EXPECT_EQ(to_string(EventType::kReturnSettingsChanged), "seller.return_settings_changed");
  EXPECT_EQ(to_string(EventType::kMessageNoResponseNeeded), "message.no_response_needed");
  EXPECT_EQ(to_string(ReturnReason::kOrderedByAccident), "ordered_by_accident");
  EXPECT_EQ(to_string(ReturnReason::kNoLongerNeeded), "no_longer_needed");
  EXPECT_EQ(to_string(CloseReason::kGroceryNotReturnable), "grocery_not_returnable");
  EXPECT_EQ(to_string(CloseReason::kCancelledAtBuyerRequest), "cancelled_at_buyer_request");
  EXPECT_EQ(to_string(ClaimKind::kAToZ), "a_to_z");
  EXPECT_EQ(to_string(Sender::kSellerAuto), "seller_auto");
  EXPECT_EQ(to_string(LabelKind::kNone), "none");
}

}  // namespace
}  // namespace carelog::events_codec_test
