// Micro-benchmarks (Google Benchmark) of the engine's parts, to see where an
// event's time goes: decode+validate per event type, the ingest step (log
// append, domain rules, projections, sealing) per batch size, each
// projection's fold (into in-memory rows, and as the engine folds: into
// batches over RocksDB), and each query on the largest seller of a generated feed.
// Run with scripts/microbench; the end-to-end figures are scripts/bench's.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "connectors/query_service.h"
#include "engine/event_log.h"
#include "engine/ingest.h"
#include "engine/projector.h"
#include "events/json_decoder.h"
#include "projections/memory_rows.h"
#include "projections/order_facts.h"
#include "projections/order_history.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"
#include "projections/seller_meta.h"
#include "projections/seller_projection.h"
#include "tests/unit/events_samples.h"
#include "tests/unit/test_support.h"
#include "tools/feed_generator.h"

namespace carelog {
namespace {

// A generated feed (one seller per partition would be unrealistic: Zipf sizes).
const std::vector<std::string>& feed() {
  static const std::vector<std::string> lines = [] {
    std::vector<std::string> out;
    FeedOptions o;
    o.sellers = 50;
    o.days = 60;
    o.seed = 3;
    o.events = 60000;
    generate_feed(o, [&](const std::string& l) { out.push_back(l); });
    return out;
  }();
  return lines;
}

std::string temp_dir(const std::string& name) {
  std::random_device rd;
  auto p = std::filesystem::temp_directory_path() / ("carelog-bench-" + name + "-" + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p.string();
}

// A data dir of its own, opened empty again whenever a benchmark has used up
// the feed, and removed at the end (declare it before whatever reads its log).
struct ScratchLog {
  explicit ScratchLog(const std::string& name) : dir(temp_dir(name)) {}
  ~ScratchLog() {
    log.reset();
    std::filesystem::remove_all(dir);
  }
  // Drops the log (nothing may read it any more) and opens an empty one.
  bool reopen() {
    log.reset();
    std::filesystem::remove_all(dir);
    return EventLog::open(dir, {}, log).ok();
  }
  std::string dir;
  std::unique_ptr<EventLog> log;
};

// ---- decode + validate, per event type ----
void BM_Decode(benchmark::State& state) {
  const auto samples = testing::all_samples();
  const auto& s = samples[static_cast<size_t>(state.range(0))];
  const std::string json = testing::sample_envelope(s.type, s.data);
  DecoderOptions o;
  o.allow_derived_types = true;
  JsonDecoder decoder(o);
  for (auto _ : state) {
    auto r = decoder.decode(json);
    benchmark::DoNotOptimize(r);
    if (!r) state.SkipWithError("sample rejected");
  }
  state.SetLabel(s.type);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
}
BENCHMARK(BM_Decode)->DenseRange(0, kEventTypeCount - 1);

// ---- the ingest step into RocksDB, per batch size ----
void BM_Ingest(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  const auto& lines = feed();
  ScratchLog scratch("ingest");
  if (!scratch.reopen()) return state.SkipWithError("open");
  EngineMetrics metrics;
  auto ingestor = std::make_unique<Ingestor>(*scratch.log, IngestOptions{"bench", {}, {}}, metrics, nullptr);
  size_t next = 0;
  int64_t events = 0;
  for (auto _ : state) {
    if (next + batch > lines.size()) {  // a fresh log when the feed is used up
      state.PauseTiming();
      ingestor.reset();
      if (!scratch.reopen()) return state.SkipWithError("open");
      ingestor = std::make_unique<Ingestor>(*scratch.log, IngestOptions{"bench", {}, {}}, metrics, nullptr);
      next = 0;
      state.ResumeTiming();
    }
    std::vector<SourceRecord> recs = testing::source_records(lines, next, next + batch);
    if (!ingestor->ingest(recs).ok()) return state.SkipWithError("ingest");
    next += batch;
    events += static_cast<int64_t>(batch);
  }
  state.SetItemsProcessed(events);
}
BENCHMARK(BM_Ingest)->Arg(1)->Arg(100)->Arg(2000)->Unit(benchmark::kMicrosecond);

// ---- each projection's own cost: its fold into in-memory rows (a std::map) ----
template <class P>
std::unique_ptr<P> make() {
  return std::make_unique<P>();
}
template <>
std::unique_ptr<ReturnsQueueProjection> make<ReturnsQueueProjection>() {
  return std::make_unique<ReturnsQueueProjection>(ReturnsPolicy{});
}

template <class P>
void BM_Fold(benchmark::State& state) {
  JsonDecoder decoder;
  std::vector<Event> events;
  for (const auto& l : feed()) {
    if (auto r = decoder.decode(l)) events.push_back(std::move(r.value()));
  }
  std::array<uint8_t, 32> hash{};
  size_t i = 0;
  auto rows = std::make_unique<MemoryRows>();
  OrderFactsProjection facts;  // the others read order facts
  std::unique_ptr<P> projection = make<P>();
  for (auto _ : state) {
    if (i == events.size()) {
      state.PauseTiming();
      rows = std::make_unique<MemoryRows>();
      i = 0;
      state.ResumeTiming();
    }
    AppliedEvent e{events[i], 0, i + 1, hash};
    if constexpr (!std::is_same_v<P, OrderFactsProjection>) facts.apply(e, *rows);
    projection->apply(e, *rows);
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Fold<SellerMetaProjection>);
BENCHMARK(BM_Fold<OrderFactsProjection>);
BENCHMARK(BM_Fold<MessagesProjection>);
BENCHMARK(BM_Fold<ReturnsQueueProjection>);
BENCHMARK(BM_Fold<OrderHistoryProjection>);

// ---- every projection's fold into the in-memory state the engine keeps ----
// SellerProjection::apply of each event into its seller's typed projection
// (projections/seller_projection.h): what the ingest does per event instead
// of the row folds above.
void BM_SellerProjectionFold(benchmark::State& state) {
  JsonDecoder decoder;
  std::vector<Event> events;
  for (const auto& l : feed()) {
    if (auto r = decoder.decode(l)) events.push_back(std::move(r.value()));
  }
  std::array<uint8_t, 32> hash{};
  const ReturnsPolicy policy;
  size_t i = 0;
  std::map<std::string, std::unique_ptr<SellerProjection>> sellers;
  for (auto _ : state) {
    if (i == events.size()) {
      state.PauseTiming();
      sellers.clear();
      i = 0;
      state.ResumeTiming();
    }
    auto& s = sellers[events[i].seller_id];
    if (!s) s = std::make_unique<SellerProjection>(events[i].seller_id);
    s->apply(AppliedEvent{events[i], 0, i + 1, hash}, policy);
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SellerProjectionFold);

// ---- each projection's fold as the engine runs it ----
// Projector::apply into source LogBatches over a RocksDB data dir (the
// batch's overlay, then the database), a batch committed every 2,000 events
// as the ingest's are: BM_Fold above without its std::map, and with the
// base projections (seller meta, order facts) the others read. No decode,
// no log append, no domain rules (those are BM_Ingest's).
const std::vector<LogRecord>& feed_records() {
  static const std::vector<LogRecord> records = [] {
    JsonDecoder decoder;
    std::vector<LogRecord> out;
    for (const auto& l : feed()) {
      auto r = decoder.decode(l);
      if (!r) continue;
      LogRecord rec;
      rec.seq = out.size() + 1;
      rec.event = std::move(r.value());
      out.push_back(std::move(rec));
    }
    return out;
  }();
  return records;
}

void BM_EngineFold(benchmark::State& state) {
  const std::string only = state.range(0) < 0 ? "all" : projection_names()[static_cast<size_t>(state.range(0))];
  constexpr size_t kBatch = 2000;
  const auto& records = feed_records();
  ScratchLog scratch("fold");
  if (!scratch.reopen()) return state.SkipWithError("open");
  auto projector = std::make_unique<Projector>(*scratch.log, ProjectorOptions{}, only);
  auto batch = std::make_unique<LogBatch>(*scratch.log);
  size_t i = 0;
  for (auto _ : state) {
    if (i == records.size()) {  // a fresh data dir when the feed is used up
      state.PauseTiming();
      batch.reset();
      projector.reset();
      if (!scratch.reopen()) return state.SkipWithError("open");
      projector = std::make_unique<Projector>(*scratch.log, ProjectorOptions{}, only);
      batch = std::make_unique<LogBatch>(*scratch.log);
      i = 0;
      state.ResumeTiming();
    }
    projector->apply(records[i], *batch);
    if (++i % kBatch == 0 || i == records.size()) {
      if (!scratch.log->commit(*batch).ok()) return state.SkipWithError("commit");
      batch = std::make_unique<LogBatch>(*scratch.log);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  std::string label = "seller_meta+order_facts";
  if (only == "all") label = "all";
  else if (!is_base_projection(only)) label.append("+").append(only);
  state.SetLabel(label);
}
// -1: every projection; 1: the base projections alone (0 would fold the
// same two); 2-4: each other projection with them (projection_names()).
BENCHMARK(BM_EngineFold)->Arg(-1)->DenseRange(1, 4);

// ---- each query, on the largest seller of the feed, from RocksDB ----
struct QueryFixture {
  std::string dir = temp_dir("query");
  std::unique_ptr<EventLog> log;
  EngineMetrics metrics;
  std::string seller;
  QueryFixture() {
    if (!EventLog::open(dir, {}, log).ok()) return;
    Ingestor ingestor(*log, IngestOptions{"bench", {}, {}}, metrics, nullptr);
    const auto& lines = feed();
    std::map<std::string, int> size;
    for (size_t i = 0; i < lines.size(); i += 2000) {
      std::vector<SourceRecord> recs = testing::source_records(lines, i, std::min(lines.size(), i + 2000));
      if (!ingestor.ingest(recs).ok()) return;
    }
    for (const auto& l : lines) ++size[testing::json_field(l, "seller_id")];
    for (const auto& [s, n] : size) {
      if (seller.empty() || n > size[seller]) seller = s;
    }
  }
  ~QueryFixture() {
    log.reset();
    std::filesystem::remove_all(dir);
  }
};

QueryFixture& queries() {
  static QueryFixture f;
  return f;
}

void BM_Query(benchmark::State& state) {
  QueryFixture& f = queries();
  if (!f.log || f.seller.empty()) return state.SkipWithError("fixture");
  QueryService q(*f.log, nullptr);
  const int which = static_cast<int>(state.range(0));
  const char* names[] = {"response-times", "returns", "messages", "account-health", "deadlines"};
  for (auto _ : state) {
    QueryResponse r;
    switch (which) {
      case 0: r = q.response_times(f.seller, {}); break;
      case 1: r = q.returns(f.seller, {}); break;
      case 2: r = q.messages(f.seller, {}); break;
      case 3: r = q.account_health(f.seller, {}); break;
      default: r = q.deadlines(f.seller, {{"within", "48h"}}); break;
    }
    if (r.status != 200) return state.SkipWithError(r.body.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(std::string(names[which]) + " of " + f.seller);
}
BENCHMARK(BM_Query)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace carelog
