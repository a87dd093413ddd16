// The in-memory projection (projections/seller_projection.h) against the
// row projections as the oracle: the engine ingests a generated feed in
// which a fifth of the events carry an occurred_at moved up to four days
// earlier or later than their place in the log (late replies, refunds,
// shipments and decisions: every rule for events in any log order is used),
// the log is folded into SellerProjections, and every query, for every
// seller, at many instants (day boundaries, the seller's own event instants
// and 24/48 h after them, mid-day instants, before and after everything),
// with every filter and page, must answer byte for byte as the rows do.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/event_log.h"
#include "engine/ingest.h"
#include "events/json_encoder.h"
#include "events/text_rules.h"
#include "projections/account_health.h"
#include "projections/deadlines.h"
#include "projections/order_history.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"
#include "engine/projector.h"
#include "projections/memory_rows.h"
#include "projections/seller_projection_rows.h"
#include "projections/seller_queries.h"
#include "tests/unit/test_support.h"
#include "tools/feed_generator.h"

namespace carelog::seller_projection_test {
namespace {

using testing::TempDir;

// `line` with its occurred_at moved by `shift` microseconds.
std::string shift_time(const std::string& line, int64_t shift) {
  const std::string tag = "\"occurred_at\":\"";
  const size_t at = line.find(tag);
  if (at == std::string::npos) return line;
  const size_t begin = at + tag.size(), end = line.find('"', begin);
  auto t = text::parse_rfc3339(line.substr(begin, end - begin));
  if (!t) return line;
  t->micros += shift;
  return line.substr(0, begin) + format_rfc3339(*t) + line.substr(end);
}

template <class R>
std::string text_of(const R& r) {
  if (const auto* e = std::get_if<QueryError>(&r)) return "error " + e->parameter + ": " + e->message;
  return std::get<std::string>(r);
}

std::string next_cursor(const std::string& json) {
  const std::string tag = "\"next_cursor\":\"";
  auto at = json.find(tag);
  if (at == std::string::npos) return "";
  return json.substr(at + tag.size(), json.find('"', at + tag.size()) - at - tag.size());
}

constexpr int64_t kFeedStart = 1349046000LL * 1'000'000;  // the generator's first instant

class SellerProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::copy_shared_dir("seller-projection-feed", dir_.str(), [](const std::string& dir) {
      return testing::make_ingested_log(dir, [](Ingestor& ingestor) {
        FeedOptions o;
        o.sellers = 12;
        o.days = 90;
        o.seed = 7;
        o.events = 12000;
        std::vector<std::string> lines;
        std::mt19937_64 rng(42);
        generate_feed(o, [&](const std::string& line) {
          if (rng() % 5 == 0) {
            const int64_t four_days = 4 * kMicrosPerDay;
            lines.push_back(shift_time(line, static_cast<int64_t>(rng() % (2 * four_days)) - four_days));
          } else {
            lines.push_back(line);
          }
        });
        Status st = Status::Ok();
        for (size_t i = 0; i < lines.size() && st.ok(); i += 500) {
          std::vector<SourceRecord> recs = testing::source_records(lines, i, std::min(lines.size(), i + 500));
          BatchResult result;
          st = ingestor.ingest(recs, &result);
          EXPECT_TRUE(st.ok()) << st.message();
          EXPECT_EQ(result.rejected, 0u);
        }
        return st.ok();
      });
    }));
    ASSERT_TRUE(EventLog::open(dir_.str(), {}, log_).ok());
    for (uint32_t p : log_->partitions_in_log()) {
      ASSERT_TRUE(log_->scan(p, 1, [&](const LogRecord& r, std::string_view) {
                        auto& s = sellers_[r.event.seller_id];
                        if (!s) s = std::make_unique<SellerProjection>(r.event.seller_id);
                        s->apply(AppliedEvent{r.event, r.partition, r.seq, r.hash}, policy_);
                        return true;
                      }).ok());
    }
    ASSERT_GE(sellers_.size(), 10u);
  }

  // Instants to ask at for `s`: before and after everything, each day
  // boundary of the feed, mid-day instants, and (a sample of) its own event
  // instants with the deadlines' boundaries after them.
  std::vector<int64_t> instants(const SellerProjection& s) const {
    std::set<int64_t> out = {kMinTime / 4, kFeedStart - 1, s.meta.newest_micros, kMaxTime / 4};
    for (int day = 0; day <= 100; day += 7) {
      out.insert(kFeedStart + day * kMicrosPerDay);
      out.insert(kFeedStart + day * kMicrosPerDay + 13 * kMicrosPerHour + 17 * kMicrosPerSecond);
    }
    std::mt19937_64 rng(s.meta.events);
    auto sample = [&](int64_t t) {
      if (rng() % 16 != 0) return;
      out.insert(t);
      out.insert(t - 1);
      out.insert(t + 24 * kMicrosPerHour);
      out.insert(t + 48 * kMicrosPerHour + 1);
    };
    for (const auto& m : s.messages) sample(m.row.at);
    for (const auto& x : s.returns) {
      sample(x.requested_at);
      if (x.completed_at) sample(*x.completed_at);
    }
    for (const auto& o : s.orders) {
      if (o.shipped_at) sample(*o.shipped_at);
    }
    return {out.begin(), out.end()};
  }

  TempDir dir_;
  std::unique_ptr<EventLog> log_;
  ReturnsPolicy policy_;
  std::map<std::string, std::unique_ptr<SellerProjection>> sellers_;
};

TEST_F(SellerProjectionTest, TablesHealthSettingsAndDeadlinesAnswerAsTheRows) {
  size_t compared = 0;
  for (const auto& [seller, s] : sellers_) {
    const auto rows = log_->seller_rows(*log_->seller_partition(seller), seller);
    for (int64_t as_of : instants(*s)) {
      ASSERT_EQ(response_times_json(seller, compute_response_times(*s, as_of)),
                response_times_json(seller, compute_response_times(*rows, as_of)))
          << seller << " at " << as_of;
      ASSERT_EQ(account_health_json(*s, as_of), account_health_json(*rows, seller, as_of)) << seller << " at " << as_of;
      ASSERT_EQ(return_settings_json(*s, as_of), return_settings_json(*rows, seller, as_of)) << seller;
      for (int64_t within : {int64_t{0}, 6 * kMicrosPerHour, 2 * kMicrosPerDay, kDeadlinesMaxWithin}) {
        ASSERT_EQ(text_of(deadlines_json(*s, as_of, within)), text_of(deadlines_json(*rows, seller, as_of, within)))
            << seller << " at " << as_of << " within " << within;
      }
      compared += 7;
    }
  }
  EXPECT_GT(compared, 5000u);
}

TEST_F(SellerProjectionTest, EveryReturnsFilterAndPageAnswersAsTheRows) {
  const std::vector<std::string> statuses = {"all", "authorization_required", "authorized", "completed", "closed"};
  const std::vector<std::optional<ClosedBy>> closers = {std::nullopt, ClosedBy::kBuyer, ClosedBy::kSeller};
  size_t compared = 0, with_pages = 0;
  for (const auto& [seller, s] : sellers_) {
    const auto rows = log_->seller_rows(*log_->seller_partition(seller), seller);
    std::vector<int64_t> at = instants(*s);
    std::vector<int64_t> few = {at.front(), kFeedStart + 30 * kMicrosPerDay, kFeedStart + 61 * kMicrosPerDay + 1,
                                s->meta.newest_micros, at.back()};
    // A text query that matches some: an order id's tail, a sku.
    std::vector<std::string> texts = {""};
    if (!s->returns.empty()) {
      texts.push_back(s->returns.front().order_id.substr(8));
      texts.push_back(s->returns.back().items.front().sku);
    }
    for (int64_t as_of : few) {
      for (const auto& status : statuses) {
        for (const auto& closed_by : closers) {
          for (const auto& text : texts) {
            for (auto [from, to] : {std::pair<std::optional<int64_t>, std::optional<int64_t>>{},
                                    {kFeedStart + 20 * kMicrosPerDay, std::nullopt},
                                    {std::nullopt, kFeedStart + 50 * kMicrosPerDay}}) {
              ReturnsQuery q;
              q.status = status;
              q.closed_by = closed_by;
              q.q = text;
              q.from = from;
              q.to = to;
              q.limit = 4;
              q.as_of = as_of;
              for (int page = 0; page < 300; ++page) {
                const std::string typed = text_of(returns_json(*s, q));
                const std::string oracle = text_of(returns_json(*rows, seller, q));
                ASSERT_EQ(typed, oracle) << seller << " " << status << " q=" << text << " page " << page;
                ++compared;
                q.cursor = next_cursor(oracle);
                if (q.cursor.empty()) break;
                if (page == 1) ++with_pages;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 3000u);
  EXPECT_GT(with_pages, 100u);
}

TEST_F(SellerProjectionTest, EveryInboxFilterAndPageAnswersAsTheRows) {
  size_t compared = 0;
  for (const auto& [seller, s] : sellers_) {
    const auto rows = log_->seller_rows(*log_->seller_partition(seller), seller);
    std::vector<std::string> texts = {""};
    for (const auto& m : s->messages) {
      if (m.row.received && m.row.order_id && texts.size() < 3) texts.push_back(m.row.order_id->substr(4, 7));
      if (m.row.received && m.row.buyer_alias && texts.size() < 4) texts.push_back(m.row.buyer_alias->substr(0, 5));
    }
    for (int64_t as_of : {kFeedStart + 40 * kMicrosPerDay, s->meta.newest_micros, kMaxTime / 4}) {
      for (const char* direction : {"all", "received", "sent"}) {
        for (const auto& text : texts) {
          for (auto [from, to] : {std::pair<std::optional<int64_t>, std::optional<int64_t>>{},
                                  {kFeedStart + 10 * kMicrosPerDay, kFeedStart + 70 * kMicrosPerDay}}) {
            MessagesQuery q;
            q.direction = direction;
            q.q = text;
            q.from = from;
            q.to = to;
            q.limit = text.empty() ? 25 : 3;
            q.as_of = as_of;
            for (int page = 0; page < 60; ++page) {
              const std::string typed = text_of(messages_json(*s, q));
              const std::string oracle = text_of(messages_json(*rows, seller, q));
              ASSERT_EQ(typed, oracle) << seller << " " << direction << " q=" << text << " page " << page;
              ++compared;
              q.cursor = next_cursor(oracle);
              if (q.cursor.empty()) break;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 1000u);
}

TEST_F(SellerProjectionTest, OrderHistoriesAnswerAsTheRows) {
  size_t compared = 0;
  for (const auto& [seller, s] : sellers_) {
    const uint32_t partition = *log_->seller_partition(seller);
    const auto rows = log_->seller_rows(partition, seller);
    std::vector<std::string> orders = {"403-0000000-0000000"};  // none
    for (size_t i = 0; i < s->orders.size(); i += 7) orders.push_back(s->orders[i].order_id);
    for (const auto& order_id : orders) {
      auto typed = order_history_json(*s, order_id, [&](uint64_t seq) -> std::optional<RecordView> {
        auto r = log_->read_record(partition, seq);
        if (!r) return std::nullopt;
        return RecordView{std::string(reinterpret_cast<const char*>(r->hash.data()), r->hash.size()),
                          r->original};
      });
      auto oracle = order_history_json(*rows, seller, order_id, [&](uint64_t seq) -> std::optional<std::string> {
        auto r = log_->read_record(partition, seq);
        if (!r) return std::nullopt;
        return r->original;
      });
      ASSERT_EQ(typed, oracle) << seller << " order " << order_id;
      ++compared;
    }
  }
  EXPECT_GT(compared, 300u);
}

TEST_F(SellerProjectionTest, IndexesRebuiltFromTheEntitiesAnswerAlike) {
  // What a checkpoint load does: the entity vectors kept, every index rebuilt.
  for (const auto& [seller, s] : sellers_) {
    const std::vector<int64_t> at = instants(*s);
    std::vector<std::string> before;
    for (int64_t t : at) {
      before.push_back(account_health_json(*s, t));
      ReturnsQuery q;
      q.as_of = t;
      q.limit = 5;
      before.push_back(text_of(returns_json(*s, q)));
    }
    s->rebuild_indexes();
    size_t i = 0;
    for (int64_t t : at) {
      ASSERT_EQ(account_health_json(*s, t), before[i++]) << seller;
      ReturnsQuery q;
      q.as_of = t;
      q.limit = 5;
      ASSERT_EQ(text_of(returns_json(*s, q)), before[i++]) << seller;
    }
  }
}

TEST_F(SellerProjectionTest, LoadedFromTheRowsAnswersAsTheFold) {
  // The engine loads a seller's projection from its rows on first use.
  for (const auto& [seller, folded] : sellers_) {
    const uint32_t partition = *log_->seller_partition(seller);
    SellerProjection loaded(seller);
    ASSERT_TRUE(load_seller_projection(*log_->seller_rows(partition, seller), loaded));
    EXPECT_EQ(loaded.meta.events, folded->meta.events);
    EXPECT_EQ(loaded.orders.size(), folded->orders.size());
    EXPECT_EQ(loaded.messages.size(), folded->messages.size());
    EXPECT_EQ(loaded.returns.size(), folded->returns.size());
    EXPECT_EQ(loaded.history.size(), folded->history.size());
    for (int64_t t : instants(*folded)) {
      ASSERT_EQ(account_health_json(loaded, t), account_health_json(*folded, t)) << seller << " at " << t;
      ASSERT_EQ(return_settings_json(loaded, t), return_settings_json(*folded, t)) << seller;
      ASSERT_EQ(text_of(deadlines_json(loaded, t, 2 * kMicrosPerDay)), text_of(deadlines_json(*folded, t, 2 * kMicrosPerDay)));
      ReturnsQuery rq;
      rq.as_of = t;
      rq.limit = 20;
      ASSERT_EQ(text_of(returns_json(loaded, rq)), text_of(returns_json(*folded, rq))) << seller;
      MessagesQuery mq;
      mq.as_of = t;
      mq.limit = 20;
      ASSERT_EQ(text_of(messages_json(loaded, mq)), text_of(messages_json(*folded, mq))) << seller;
    }
    for (const auto& [order_id, seqs] : folded->history) {
      auto it = loaded.history.find(order_id);
      ASSERT_TRUE(it != loaded.history.end()) << order_id;
      EXPECT_EQ(it->second, seqs) << order_id;
    }
    EXPECT_EQ(loaded.history_message_order, folded->history_message_order);
    EXPECT_EQ(loaded.history_thread_order, folded->history_thread_order);
  }
  SellerProjection unknown("NOBODY");
  EXPECT_FALSE(load_seller_projection(*log_->seller_rows(0, "NOBODY"), unknown));
}

TEST_F(SellerProjectionTest, ChangedRowsWrittenAtAnyPointsAreTheRowsOfTheFold) {
  // A checkpoint writes the rows the events since the last one changed: at
  // whatever points it runs, the rows must be those the row folds write.
  std::map<std::string, MemoryRows> folded, written;
  std::map<std::string, std::unique_ptr<SellerProjection>> typed;
  auto projections = make_projections(ProjectorOptions{});
  std::mt19937_64 rng(9);
  size_t checkpoints = 0;
  for (uint32_t p : log_->partitions_in_log()) {
    ASSERT_TRUE(log_->scan(p, 1, [&](const LogRecord& r, std::string_view) {
                      const std::string& seller = r.event.seller_id;
                      AppliedEvent e{r.event, r.partition, r.seq, r.hash};
                      for (auto& projection : projections) projection->apply(e, folded[seller]);
                      auto& s = typed[seller];
                      if (!s) s = std::make_unique<SellerProjection>(seller);
                      s->apply(e, policy_);
                      if (rng() % 50 == 0) {
                        s->write_changed_rows(written[seller]);
                        ++checkpoints;
                      }
                      return true;
                    }).ok());
  }
  ASSERT_GT(checkpoints, 100u);
  for (auto& [seller, s] : typed) {
    s->write_changed_rows(written[seller]);
    EXPECT_FALSE(s->changed());
    const auto& expected = folded[seller].all();
    const auto& actual = written[seller].all();
    for (const auto& [key, value] : expected) {
      auto it = actual.find(key);
      ASSERT_TRUE(it != actual.end()) << seller << ": row not written, tag " << key[0] << " size " << key.size();
      ASSERT_EQ(it->second, value) << seller << ": row differs, tag " << key[0];
    }
    EXPECT_EQ(actual.size(), expected.size()) << seller;
  }
}

}  // namespace
}  // namespace carelog::seller_projection_test
