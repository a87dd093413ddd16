// Schema evolution end to end: the pre-v1 form of message.sent (no
// schema_version, no sender) folds to exactly the state of its v1 form.
#include <gtest/gtest.h>

#include "events/json_decoder.h"
#include "projections/memory_rows.h"
#include "projections/order_facts.h"
#include "projections/response_times.h"

namespace carelog::upcast_fold_test {
namespace {

const char* kReceived =
    R"({"event_id":"m1","type":"message.received","occurred_at":"2013-01-06T10:05:00+01:00","seller_id":"A2SELLER0001","marketplace":"FR","schema_version":1,"data":{"message_id":"MR1","thread_id":"T1","buyer_id":"B1","buyer_alias":"kamelec.x8k2@marketplace.amazon.fr","subject":"Demande de renseignements","body":"Bonjour","auto_reply":false}})";
const char* kSentV0 =
    R"({"event_id":"s1","type":"message.sent","occurred_at":"2013-01-06T12:05:00+01:00","seller_id":"A2SELLER0001","marketplace":"FR","data":{"message_id":"MS1","thread_id":"T1","in_reply_to":"MR1","body":"Bonjour, voici la réponse."}})";
const char* kSentV1 =
    R"({"event_id":"s1","type":"message.sent","occurred_at":"2013-01-06T12:05:00+01:00","seller_id":"A2SELLER0001","marketplace":"FR","schema_version":1,"data":{"message_id":"MS1","thread_id":"T1","in_reply_to":"MR1","body":"Bonjour, voici la réponse.","sender":"seller"}})";

MemoryRows fold(const char* sent) {
  JsonDecoder decoder;
  MemoryRows rows;
  MessagesProjection messages;
  std::array<uint8_t, 32> hash{};
  uint64_t seq = 0;
  for (const char* json : {kReceived, sent}) {
    auto e = decoder.decode(json);
    EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.rejection().message);
    messages.apply(AppliedEvent{e.value(), 0, ++seq, hash}, rows);
  }
  return rows;
}

TEST(UpcastFold, OldAndNewFormsFoldToTheSameState) {
  MemoryRows v0 = fold(kSentV0), v1 = fold(kSentV1);
  EXPECT_EQ(v0.all(), v1.all());
  // And the answer counts the old-form reply as the seller's: on time (2 h).
  auto report = compute_response_times(v0, 1357470300LL * 1'000'000);  // 2013-01-06T11:05:00Z, the reply
  EXPECT_EQ(report.windows[0].on_time, 1);
  EXPECT_EQ(report.windows[0].average_response_seconds.value_or(-1), 7200);
}

}  // namespace
}  // namespace carelog::upcast_fold_test
