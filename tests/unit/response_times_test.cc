// The response-time table (spec/projections.md §1): every outcome rule and its
// edges, time travel, log-order independence, and the seed's table reproduced.
#include "projections/response_times.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include "projections/memory_rows.h"
#include "projections/order_facts.h"

namespace carelog::response_times_test {
namespace {

constexpr int64_t kSec = kMicrosPerSecond;
constexpr int64_t kHour = kMicrosPerHour;
constexpr int64_t kDay = kMicrosPerDay;

int64_t utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  const auto days = sys_days{year{y} / month{mo} / day{d}};
  return duration_cast<microseconds>(days.time_since_epoch()).count() +
         ((int64_t{h} * 60 + mi) * 60 + s) * kSec;
}

int eid = 0;
Event envelope(int64_t at, EventData data) {
  Event e;
  e.event_id = "ev-" + std::to_string(++eid);
  e.occurred_at = Timestamp{at, 0};
  e.seller_id = "A2SELLER0001";
  e.marketplace = "FR";
  e.data = std::move(data);
  return e;
}

Event received(const std::string& id, const std::string& thread, int64_t at,
               bool auto_reply = false) {
  MessageReceived d;
  d.message_id = id;
  d.thread_id = thread;
  d.buyer_id = "BUYER-" + thread;
  d.buyer_alias = thread + "@marketplace.amazon.fr";
  d.subject = "Demande de renseignements";
  d.body = "Bonjour";
  d.auto_reply = auto_reply;
  return envelope(at, d);
}

Event sent(const std::string& id, const std::string& thread, int64_t at,
           Sender sender = Sender::kSeller) {
  MessageSent d;
  d.message_id = id;
  d.thread_id = thread;
  d.body = "Merci pour votre message";
  d.sender = sender;
  return envelope(at, d);
}

Event no_response_needed(const std::string& id, int64_t at) {
  return envelope(at, MessageNoResponseNeeded{id});
}

// Folds events as the projector does (order facts first, then messages).
class Feed {
 public:
  void apply(const Event& e) {
    AppliedEvent a{e, 0, ++seq_, hash_};
    orders_.apply(a, rows_);
    messages_.apply(a, rows_);
  }
  void apply(const std::vector<Event>& events) {
    for (const auto& e : events) apply(e);
  }
  ResponseTimesReport report(int64_t as_of) const { return compute_response_times(rows_, as_of); }
  const MemoryRows& rows() const { return rows_; }

 private:
  MemoryRows rows_;
  OrderFactsProjection orders_;
  MessagesProjection messages_;
  uint64_t seq_ = 0;
  std::array<uint8_t, 32> hash_{};
};

const int64_t T = utc(2013, 1, 10, 12);  // the seed's as_of

const ResponseWindow& w7(const ResponseTimesReport& r) { return r.windows[0]; }
const ResponseWindow& w30(const ResponseTimesReport& r) { return r.windows[1]; }
const ResponseWindow& w90(const ResponseTimesReport& r) { return r.windows[2]; }

TEST(ResponseTimes, ReplyAtExactly24HoursIsOnTimeOneSecondLaterIsLate) {
  Feed f;
  const int64_t a = T - 3 * kDay, b = T - 2 * kDay - kHour;
  f.apply({received("m1", "t1", a), sent("s1", "t1", a + 24 * kHour), received("m2", "t2", b),
           sent("s2", "t2", b + 24 * kHour + kSec)});
  auto r = f.report(T);
  EXPECT_EQ(w7(r).on_time, 1);
  EXPECT_EQ(w7(r).late, 1);
  EXPECT_EQ(w7(r).late_count, 1);
  EXPECT_EQ(w7(r).no_response, 0);
  EXPECT_EQ(w7(r).average_response_seconds, 86400 + 1);  // (86400 + 86401) / 2 = 86400.5 -> up
  EXPECT_DOUBLE_EQ(*w7(r).on_time_rate, 0.5);
}

TEST(ResponseTimes, SellerAutoRepliesAnswerNothing) {
  Feed f;
  const int64_t a = T - 3 * kDay;
  f.apply({received("m1", "t1", a), sent("auto1", "t1", a + kHour, Sender::kSellerAuto)});
  auto r = f.report(T);
  EXPECT_EQ(w7(r).on_time, 0);
  EXPECT_EQ(w7(r).no_response, 1);
  EXPECT_EQ(w7(r).late_count, 1);
  EXPECT_DOUBLE_EQ(*w7(r).late_rate, 1.0);
  EXPECT_FALSE(w7(r).average_response_seconds);
  EXPECT_EQ(r.unanswered_last_7_days, 1);
  // The real reply, 30 h after the message, is what answers it: late.
  f.apply(sent("s1", "t1", a + 30 * kHour));
  r = f.report(T);
  EXPECT_EQ(w7(r).late, 1);
  EXPECT_EQ(w7(r).no_response, 0);
  EXPECT_EQ(w7(r).average_response_seconds, 30 * 3600);
  EXPECT_EQ(r.unanswered_last_7_days, 0);
}

TEST(ResponseTimes, BuyerAutoRepliesNeverCount) {
  Feed f;
  f.apply({received("ooo", "t1", T - 3 * kDay, /*auto_reply=*/true),
           received("ooo2", "t2", T - kHour, true)});
  auto r = f.report(T);
  for (const auto& w : r.windows) {
    EXPECT_EQ(w.on_time + w.late + w.no_response + w.pending, 0);
    EXPECT_FALSE(w.on_time_rate);
    EXPECT_FALSE(w.late_rate);
  }
  EXPECT_EQ(r.unanswered_last_7_days, 0);
  EXPECT_TRUE(r.ok);  // nothing counted: no target is failing
}

TEST(ResponseTimes, NoResponseNeededExcludesFromItsInstantOn) {
  Feed f;
  const int64_t a = T - 4 * kDay;
  f.apply({received("m1", "t1", a), no_response_needed("m1", a + 2 * kDay)});
  // Marked before as_of: excluded everywhere.
  auto r = f.report(T);
  EXPECT_EQ(w7(r).no_response, 0);
  EXPECT_EQ(w7(r).pending, 0);
  EXPECT_EQ(r.unanswered_last_7_days, 0);
  // As of the mark itself: excluded (at or before as_of).
  EXPECT_EQ(w7(f.report(a + 2 * kDay)).no_response, 0);
  // As of one second before the mark: it counted (unanswered for > 24 h).
  r = f.report(a + 2 * kDay - kSec);
  EXPECT_EQ(w7(r).no_response, 1);
  EXPECT_EQ(r.unanswered_last_7_days, 1);
  // ... and within its first 24 h it was pending.
  EXPECT_EQ(w7(f.report(a + kHour)).pending, 1);
}

TEST(ResponseTimes, LaterBuyerMessageAfterNoResponseNeededCountsOnItsOwn) {
  Feed f;
  const int64_t a = T - 5 * kDay;
  f.apply({received("m1", "t1", a), no_response_needed("m1", a + kHour),
           received("m2", "t1", a + 2 * kDay), sent("s1", "t1", a + 2 * kDay + 3 * kHour)});
  auto r = f.report(T);
  EXPECT_EQ(w7(r).on_time, 1);  // m2, answered in 3 h; m1 excluded
  EXPECT_EQ(w7(r).late, 0);
  EXPECT_EQ(w7(r).no_response, 0);
  EXPECT_EQ(w7(r).average_response_seconds, 3 * 3600);
}

TEST(ResponseTimes, OneReplyAnswersEveryEarlierMessageOfItsThread) {
  Feed f;
  const int64_t a = T - 6 * kDay;
  f.apply({received("m1", "t1", a), received("m2", "t1", a + 10 * kHour),
           received("other", "t2", a + 11 * kHour),  // another thread: not answered
           sent("s1", "t1", a + 20 * kHour),
           received("m3", "t1", a + 21 * kHour)});  // after the reply: unanswered
  auto r = f.report(T);
  EXPECT_EQ(w7(r).on_time, 2);
  EXPECT_EQ(w7(r).average_response_seconds, 15 * 3600);  // (20 h + 10 h) / 2
  EXPECT_EQ(w7(r).no_response, 2);                       // other, m3
  EXPECT_EQ(r.unanswered_last_7_days, 2);
  // A second reply answers m3 (late: 29 h) and leaves the first ones alone.
  f.apply(sent("s2", "t1", a + 50 * kHour));
  r = f.report(T);
  EXPECT_EQ(w7(r).on_time, 2);
  EXPECT_EQ(w7(r).late, 1);
  EXPECT_EQ(w7(r).average_response_seconds, (20 + 10 + 29) * 3600 / 3);
}

TEST(ResponseTimes, ReplyBeforeTheMessageDoesNotAnswerIt) {
  Feed f;
  const int64_t a = T - 3 * kDay;
  f.apply({sent("s0", "t1", a), received("m1", "t1", a + kSec)});
  EXPECT_EQ(w7(f.report(T)).no_response, 1);
  // A reply at the very same instant does answer it (response time 0).
  Feed g;
  g.apply({sent("s0", "t1", a), received("m1", "t1", a)});
  auto r = g.report(T);
  EXPECT_EQ(w7(r).on_time, 1);
  EXPECT_EQ(w7(r).average_response_seconds, 0);
}

TEST(ResponseTimes, WindowsAreHalfOpenAndMayStartMidThread) {
  Feed f;
  const int64_t start7 = T - 7 * kDay;
  f.apply({
      received("edge", "t1", start7),                // exactly T - 7 d: outside 7 d
      sent("s1", "t1", start7 + 2 * kHour),          // its reply lies inside 7 d
      received("inside", "t2", start7 + kSec),       // just inside
      sent("s2", "t2", start7 + kSec + 30 * kHour),  // late
      received("now", "t3", T),                      // exactly T: inside, pending
      received("future", "t4", T + kSec),            // after as_of: ignored
      received("old", "t5", T - 90 * kDay),          // exactly T - 90 d: nowhere
      sent("s5", "t5", T - 90 * kDay + kHour),
  });
  auto r = f.report(T);
  EXPECT_EQ(w7(r).on_time, 0);
  EXPECT_EQ(w7(r).late, 1);
  EXPECT_EQ(w7(r).pending, 1);
  EXPECT_EQ(w30(r).on_time, 1);
  EXPECT_EQ(w30(r).late, 1);
  EXPECT_EQ(w30(r).pending, 1);
  EXPECT_EQ(w90(r).on_time, 1);
  EXPECT_EQ(w90(r).average_response_seconds, (2 * 3600 + 30 * 3600) / 2);
  EXPECT_EQ(r.unanswered_last_7_days, 1);
  EXPECT_EQ(w7(r).from, start7);
  EXPECT_EQ(w7(r).to, T);
  EXPECT_EQ(w90(r).from, T - 90 * kDay);
}

TEST(ResponseTimes, PendingUntil24HoursThenNoResponse) {
  Feed f;
  f.apply({received("m24", "t1", T - 24 * kHour), received("m24s", "t2", T - 24 * kHour - kSec)});
  auto r = f.report(T);
  EXPECT_EQ(w7(r).pending, 1);      // T - received = 24 h exactly
  EXPECT_EQ(w7(r).no_response, 1);  // one second more
  EXPECT_EQ(w7(r).late_count, 1);
  EXPECT_DOUBLE_EQ(*w7(r).late_rate, 1.0);  // pending is in no rate
  EXPECT_EQ(r.unanswered_last_7_days, 2);
}

TEST(ResponseTimes, TimeTravelBeforeTheReplySeesItUnanswered) {
  Feed f;
  const int64_t a = T - 5 * kDay;
  f.apply({received("m1", "t1", a), sent("s1", "t1", a + 40 * kHour)});
  auto before = f.report(a + 40 * kHour - kSec);
  EXPECT_EQ(w7(before).no_response, 1);
  EXPECT_EQ(before.unanswered_last_7_days, 1);
  auto at = f.report(a + 40 * kHour);
  EXPECT_EQ(w7(at).late, 1);
  EXPECT_EQ(w7(at).no_response, 0);
  EXPECT_EQ(w7(at).average_response_seconds, 40 * 3600);
  // Before the message itself there is nothing at all.
  auto earlier = f.report(a - kSec);
  EXPECT_EQ(
      w90(earlier).on_time + w90(earlier).late + w90(earlier).no_response + w90(earlier).pending,
      0);
}

TEST(ResponseTimes, AverageRoundsHalfUpToWholeSeconds) {
  Feed f;
  const int64_t a = T - 2 * kDay;
  f.apply({received("m1", "t1", a), sent("s1", "t1", a + kSec), received("m2", "t2", a + kHour),
           sent("s2", "t2", a + kHour + 2 * kSec)});
  EXPECT_EQ(w7(f.report(T)).average_response_seconds, 2);  // 1.5 -> 2
  f.apply({received("m3", "t3", a + 2 * kHour), sent("s3", "t3", a + 2 * kHour + kSec)});
  EXPECT_EQ(w7(f.report(T)).average_response_seconds, 1);  // 4/3 -> 1
  Feed g;                                                  // sub-second: 0.4 s -> 0, 0.5 s -> 1
  g.apply({received("m1", "t1", a), sent("s1", "t1", a + 400'000)});
  EXPECT_EQ(w7(g.report(T)).average_response_seconds, 0);
  g.apply({received("m2", "t2", a + kHour), sent("s2", "t2", a + kHour + 600'000)});
  EXPECT_EQ(w7(g.report(T)).average_response_seconds, 1);  // (0.4 + 0.6) / 2 = 0.5 -> 1
}

TEST(ResponseTimes, StatusNeedsBoth30DayTargets) {
  auto build = [](int on_time, int late, int unanswered) {
    Feed f;
    int64_t a = T - 20 * kDay;
    int n = 0;
    for (int i = 0; i < on_time; ++i, ++n) {
      const std::string t = "t" + std::to_string(n);
      f.apply({received("m" + t, t, a + n * kHour), sent("s" + t, t, a + n * kHour + kHour)});
    }
    for (int i = 0; i < late; ++i, ++n) {
      const std::string t = "t" + std::to_string(n);
      f.apply({received("m" + t, t, a + n * kHour), sent("s" + t, t, a + n * kHour + 2 * kDay)});
    }
    for (int i = 0; i < unanswered; ++i, ++n) {
      const std::string t = "t" + std::to_string(n);
      f.apply(received("m" + t, t, a + n * kHour));
    }
    return f.report(T);
  };
  EXPECT_TRUE(build(10, 0, 0).ok);
  EXPECT_FALSE(build(9, 1, 0).ok);  // on_time rate 0.9 is not > 0.9
  EXPECT_TRUE(build(19, 1, 0).ok);  // 0.95 and 0.05
  EXPECT_TRUE(build(19, 0, 1).ok);  // no_response counts as late: 0.95 and 0.05
  EXPECT_FALSE(build(8, 0, 1).ok);  // 0.8889 and 0.1111: both fail
  EXPECT_TRUE(build(0, 0, 0).ok);   // nothing counted in 30 d
}

TEST(ResponseTimes, OutOfLogOrderArrivalGivesTheSameAnswer) {
  const int64_t a = T - 10 * kDay;
  std::vector<Event> events = {
      received("m1", "t1", a),
      received("m2", "t1", a + 5 * kHour),
      sent("auto", "t1", a + 5 * kHour + kSec, Sender::kSellerAuto),
      sent("s1", "t1", a + 26 * kHour),
      received("m3", "t1", a + 27 * kHour),
      sent("s2", "t1", a + 28 * kHour),
      received("m4", "t2", a + 3 * kDay),
      received("m5", "t3", T - 2 * kHour),
      received("m6", "t4", T - 3 * kDay, true),
      received("m7", "t5", T - 3 * kDay),
      sent("s7", "t5", T - 3 * kDay + 23 * kHour),
  };
  Feed in_order;
  in_order.apply(events);
  const std::string expected = response_times_json("A2SELLER0001", in_order.report(T));
  const std::string expected_past =
      response_times_json("A2SELLER0001", in_order.report(a + 26 * kHour - kSec));
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::vector<Event> shuffled = events;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    Feed f;
    f.apply(shuffled);
    EXPECT_EQ(response_times_json("A2SELLER0001", f.report(T)), expected);
    EXPECT_EQ(response_times_json("A2SELLER0001", f.report(a + 26 * kHour - kSec)), expected_past);
  }
  // Sanity: the hand-computed 30 d window. m1 late (26 h), m2 on time (21 h),
  // m3 on time (1 h), m4 no response, m5 pending, m6 excluded, m7 on time (23 h).
  auto r = in_order.report(T);
  EXPECT_EQ(w30(r).on_time, 3);
  EXPECT_EQ(w30(r).late, 1);
  EXPECT_EQ(w30(r).no_response, 1);
  EXPECT_EQ(w30(r).pending, 1);
  EXPECT_EQ(w30(r).average_response_seconds, (26 + 21 + 1 + 23) * 3600 / 4);
}

TEST(ResponseTimes, EmptyJsonHasNullRatesAndStatusOk) {
  MemoryRows rows;
  auto r = compute_response_times(rows, T);
  const std::string json = response_times_json("A2SELLER0001", r);
  EXPECT_EQ(json,
            "{\"seller_id\":\"A2SELLER0001\",\"as_of\":\"2013-01-10T12:00:00Z\",\"windows\":{"
            "\"7d\":{\"from\":\"2013-01-03T12:00:00Z\",\"to\":\"2013-01-10T12:00:00Z\","
            "\"on_time\":{\"count\":0,\"rate\":null},\"late\":{\"count\":0,\"rate\":null},"
            "\"no_response_over_24h\":0,\"responded_over_24h\":0,\"pending\":0,"
            "\"average_response_seconds\":null},"
            "\"30d\":{\"from\":\"2012-12-11T12:00:00Z\",\"to\":\"2013-01-10T12:00:00Z\","
            "\"on_time\":{\"count\":0,\"rate\":null},\"late\":{\"count\":0,\"rate\":null},"
            "\"no_response_over_24h\":0,\"responded_over_24h\":0,\"pending\":0,"
            "\"average_response_seconds\":null},"
            "\"90d\":{\"from\":\"2012-10-12T12:00:00Z\",\"to\":\"2013-01-10T12:00:00Z\","
            "\"on_time\":{\"count\":0,\"rate\":null},\"late\":{\"count\":0,\"rate\":null},"
            "\"no_response_over_24h\":0,\"responded_over_24h\":0,\"pending\":0,"
            "\"average_response_seconds\":null}},"
            "\"unanswered_last_7_days\":0,"
            "\"targets\":{\"on_time_rate_min\":0.9,\"late_rate_max\":0.1},\"status\":\"ok\"}");
}

TEST(ResponseTimes, DurationWords) {
  EXPECT_EQ(format_duration_words(136800), "1 day 14 hours");
  EXPECT_EQ(format_duration_words(47040), "13 hours 4 minutes");
  EXPECT_EQ(format_duration_words(61200), "17 hours");
  EXPECT_EQ(format_duration_words(45 * 60), "45 minutes");
  EXPECT_EQ(format_duration_words(60), "1 minute");
  EXPECT_EQ(format_duration_words(3600 + 60), "1 hour 1 minute");
  EXPECT_EQ(format_duration_words(2 * 86400 + 5 * 60), "2 days 5 minutes");
  EXPECT_EQ(format_duration_words(89), "1 minute");   // rounded to the minute
  EXPECT_EQ(format_duration_words(90), "2 minutes");  // half a minute rounds up
  EXPECT_EQ(format_duration_words(29), "0 minutes");
  EXPECT_EQ(format_duration_words(0), "0 minutes");
  EXPECT_EQ(format_duration_words(86400 - 20), "1 day");
  EXPECT_EQ(format_duration_words(std::nullopt), "-");
}

// ---- the seed's table, « Temps de réponse aux messages Acheteurs - Vendeurs » ----
//
//                   7 jours        30 jours              90 jours
// < 24 h            50% (1)        78% (14)              76% (26)
// en retard         50% (1)        22% (4)               24% (8)
// aucune réponse    0              0                     0
// > 24 h            1              4                     8
// moyen             1 jour 14 h    13 heures 4 minutes   17 heures
//
// Totals of response seconds: 7 d 2 x 136800 = 273600; 30 d 18 x 47040 =
// 846720; 90 d 34 x 61200 = 2080800. Chosen delays (one thread per message):
//  7 d:  1 on time at exactly 24 h (86400) + 1 late at 52 h (187200) = 273600
//  30 d, the 16 more: 13 on time at 6 h (13 x 21600 = 280800) + 3 late at
//        27 h 4 min (3 x 97440 = 292320): 273600 + 573120 = 846720
//  90 d, the 16 more: 12 on time at 12 h (12 x 43200 = 518400) + 4 late at
//        49 h 42 min (4 x 178920 = 715680): 846720 + 1234080 = 2080800
// One of the 90 d late ones is received 2 h before the 30 d window starts and
// answered inside it (it counts in 90 d only). Noise that must not change a
// figure: a buyer auto-reply, a seller_auto reply, a message marked
// no_response_needed, and an answered message older than 90 d.
std::vector<Event> seed_events() {
  std::vector<Event> ev;
  int n = 0;
  auto thread = [&](int64_t at, int64_t delay) {
    const std::string t = "seed-t" + std::to_string(++n);
    ev.push_back(received("seed-m" + std::to_string(n), t, at));
    ev.push_back(sent("seed-s" + std::to_string(n), t, at + delay));
    return t;
  };
  // 7 days: (Jan 3 12:00, Jan 10 12:00]
  const std::string t1 = thread(utc(2013, 1, 4), 86400 * kSec);
  ev.push_back(sent("seed-auto", t1, utc(2013, 1, 4, 0, 5), Sender::kSellerAuto));
  thread(utc(2013, 1, 5, 6), 187200 * kSec);
  ev.push_back(received("seed-ooo", "seed-ooo", utc(2013, 1, 9), /*auto_reply=*/true));
  ev.push_back(received("seed-nrn", "seed-nrn", utc(2013, 1, 8)));
  ev.push_back(no_response_needed("seed-nrn", utc(2013, 1, 8, 1)));
  // 30 days: (Dec 11 12:00, Jan 3 12:00]
  for (unsigned d = 12; d <= 24; ++d) thread(utc(2012, 12, d, 8), 21600 * kSec);
  for (unsigned d : {26u, 28u, 30u}) thread(utc(2012, 12, d, 8), 97440 * kSec);
  // 90 days: (Oct 12 12:00, Dec 11 12:00]
  for (unsigned d = 15; d <= 26; ++d) thread(utc(2012, 10, d, 9), 43200 * kSec);
  thread(utc(2012, 11, 1, 10), 178920 * kSec);
  thread(utc(2012, 11, 5, 10), 178920 * kSec);
  thread(utc(2012, 11, 9, 10), 178920 * kSec);
  thread(utc(2012, 12, 11, 10), 178920 * kSec);  // mid-thread at the 30 d start
  thread(utc(2012, 10, 1, 9), 100 * kHour);      // older than 90 d
  return ev;
}

TEST(ResponseTimes, SeedTableReproducedExactly) {
  Feed f;
  f.apply(seed_events());
  const auto r = f.report(T);

  EXPECT_EQ(w7(r).on_time, 1);
  EXPECT_DOUBLE_EQ(*w7(r).on_time_rate, 0.5);
  EXPECT_EQ(w7(r).late_count, 1);
  EXPECT_DOUBLE_EQ(*w7(r).late_rate, 0.5);
  EXPECT_EQ(w7(r).no_response, 0);
  EXPECT_EQ(w7(r).late, 1);
  EXPECT_EQ(w7(r).average_response_seconds, 136800);

  EXPECT_EQ(w30(r).on_time, 14);
  EXPECT_EQ(w30(r).late_count, 4);
  EXPECT_NEAR(*w30(r).on_time_rate, 14.0 / 18.0, 1e-12);
  EXPECT_EQ(w30(r).no_response, 0);
  EXPECT_EQ(w30(r).late, 4);
  EXPECT_EQ(w30(r).average_response_seconds, 47040);

  EXPECT_EQ(w90(r).on_time, 26);
  EXPECT_EQ(w90(r).late_count, 8);
  EXPECT_EQ(w90(r).no_response, 0);
  EXPECT_EQ(w90(r).late, 8);
  EXPECT_EQ(w90(r).average_response_seconds, 61200);

  EXPECT_EQ(r.unanswered_last_7_days, 0);
  EXPECT_FALSE(r.ok);

  const std::string json = response_times_json("A2SELLER0001", r);
  EXPECT_NE(json.find("{\"seller_id\":\"A2SELLER0001\",\"as_of\":\"2013-01-10T12:00:00Z\","
                      "\"windows\":{\"7d\":{\"from\":\"2013-01-03T12:00:00Z\","
                      "\"to\":\"2013-01-10T12:00:00Z\",\"on_time\":{\"count\":1,\"rate\":0.5},"
                      "\"late\":{\"count\":1,\"rate\":0.5},\"no_response_over_24h\":0,"
                      "\"responded_over_24h\":1,\"pending\":0,"
                      "\"average_response_seconds\":136800},"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"on_time\":{\"count\":14,\"rate\":0.7778},"
                      "\"late\":{\"count\":4,\"rate\":0.2222}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"on_time\":{\"count\":26,\"rate\":0.7647},"
                      "\"late\":{\"count\":8,\"rate\":0.2353}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"unanswered_last_7_days\":0,\"targets\":{\"on_time_rate_min\":0.9,"
                      "\"late_rate_max\":0.1},\"status\":\"at_risk\"}"),
            std::string::npos)
      << json;

  const std::string table = response_times_table("A2SELLER0001", r);
  EXPECT_NE(table.find("\t7 days (Jan 3, 2013 - Jan 10, 2013)\t30 days (Dec 11, 2012 - Jan 10, "
                       "2013)\t90 days (Oct 12, 2012 - Jan 10, 2013)\tTarget\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("Response time under 24 hours\t50% (1)\t78% (14)\t76% (26)\t> 90%\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("Late responses\t50% (1)\t22% (4)\t24% (8)\t\u2264 10%\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("No response for more than 24 hours\t0\t0\t0\t--\n"), std::string::npos);
  EXPECT_NE(table.find("Response time over 24 hours\t1\t4\t8\t--\n"), std::string::npos);
  EXPECT_NE(table.find("Average response time\t1 day 14 hours\t13 hours 4 minutes\t17 hours\t--\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("You have 0 messages you have not answered in the last 7 days."),
            std::string::npos);
}

TEST(ResponseTimes, SeedTableFromEventsInReverseLogOrder) {
  auto events = seed_events();
  // no_response_needed must follow its message (the domain rules reject it
  // otherwise); everything else arrives newest-logged first.
  std::stable_partition(events.begin(), events.end(), [](const Event& e) {
    return e.type() != EventType::kMessageNoResponseNeeded;
  });
  std::reverse(events.begin(), events.end() - 1);
  Feed in_order, reversed;
  in_order.apply(seed_events());
  reversed.apply(events);
  EXPECT_EQ(response_times_json("S", reversed.report(T)),
            response_times_json("S", in_order.report(T)));
}

}  // namespace
}  // namespace carelog::response_times_test
