#include "connectors/runner.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <functional>

#include <atomic>
#include <chrono>
#include <csignal>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <tuple>

#include <unistd.h>

#include "connectors/dead_letter.h"
#include "connectors/decisions_publisher.h"
#include "connectors/file_source.h"
#include "connectors/cluster.h"
#include "connectors/command_producer.h"
#include "connectors/command_service.h"
#include "connectors/http_api.h"
#include "connectors/kafka_source.h"
#include "connectors/query_service.h"
#include "engine/domain_rules.h"
#include "engine/erasure.h"
#include "engine/event_log.h"
#include "engine/failure_probe.h"
#include "engine/ingest.h"
#include "engine/metrics.h"
#include "engine/rebuild_service.h"
#include "engine/replay.h"
#include "events/json_encoder.h"

namespace carelog {
namespace {

std::atomic<bool> g_stop{false};

void on_stop_signal(int) { g_stop.store(true); }

// Logs a stats line every `interval` seconds: rate, totals and lag.
class StatsLogger {
 public:
  StatsLogger(const EngineMetrics& m, int64_t interval_s) : m_(m), interval_(interval_s) {
    last_ = std::chrono::steady_clock::now();
  }
  void maybe_log(bool force = false) {
    if (interval_ <= 0 && !force) return;
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - last_).count();
    if (!force && secs < static_cast<double>(interval_)) return;
    uint64_t ingested = m_.ingested.load();
    int64_t lag = 0;
    for (auto& [tp, l] : m_.lags()) lag += l;
    spdlog::info("stats: {:.0f} events/s, appended {}, duplicates {}, rejected {}, log {} events, lag {}",
                 secs > 0 ? static_cast<double>(ingested - last_ingested_) / secs : 0.0, ingested,
                 m_.duplicates.load(), m_.rejected.load(), m_.log_events.load(), lag);
    last_ = now;
    last_ingested_ = ingested;
  }

 private:
  const EngineMetrics& m_;
  int64_t interval_;
  std::chrono::steady_clock::time_point last_;
  uint64_t last_ingested_ = 0;
};

// The identity of the source a data dir was built from; a data dir never
// mixes two sources (their offsets would be meaningless together).
std::string source_identity(const Config& c) {
  if (!c.file_source()) return "kafka:" + c.topic;
  std::error_code ec;
  auto path = std::filesystem::weakly_canonical(std::filesystem::absolute(c.file_path()), ec);
  return "file:" + (ec ? c.file_path() : path.string());
}

// Binds the data dir to its source on first use; refuses another source later.
// Called only once the source has opened, so a typo binds nothing.
Status bind_source(EventLog& log, const std::string& identity, const std::string& data_dir) {
  std::string previous = log.source_topic();
  if (previous.empty()) return log.set_source_topic(identity);
  if (previous != identity) {
    return Status::Error("data dir " + data_dir + " holds the log of " + previous + ", not of " +
                         identity + "; use another --data-dir");
  }
  return Status::Ok();
}

HolidayExtension to_extension(const HolidayDates& d) {
  HolidayExtension h;
  h.ship_from_month = d.from_month;
  h.ship_from_day = d.from_day;
  h.ship_to_month = d.to_month;
  h.ship_to_day = d.to_day;
  h.until_month = d.until_month;
  h.until_day = d.until_day;
  return h;
}

// <data dir>/engine.json while the engine runs: its pid and the address of
// its HTTP API, for tools that must ask the running engine (carelog replay).
class EngineFile {
 public:
  // `ca`: the HTTPS certificate ("" for plain HTTP), which clients trust.
  EngineFile(const std::string& data_dir, const std::string& http, const std::string& ca)
      : path_(data_dir + "/engine.json") {
    std::string tmp = path_ + ".tmp";
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
      std::string json = "{\"pid\":" + std::to_string(getpid()) + ",\"http\":";
      append_json_string(json, http);
      json += ",\"tls\":" + std::string(ca.empty() ? "false" : "true") + ",\"ca\":";
      append_json_string(json, ca);
      std::fprintf(f, "%s}\n", json.c_str());
      std::fclose(f);
      std::error_code ec;
      std::filesystem::rename(tmp, path_, ec);
    }
  }
  ~EngineFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  EngineFile(const EngineFile&) = delete;
  EngineFile& operator=(const EngineFile&) = delete;

 private:
  std::string path_;
};

// Restore progress of the partitions assigned here: the gauge after every
// batch, a log line per restoring partition every `interval_s` seconds.
class RestoreReporter {
 public:
  RestoreReporter(PartitionOwnership* ownership, EngineMetrics& metrics, int64_t interval_s)
      : ownership_(ownership), metrics_(metrics), interval_(std::chrono::seconds(std::max<int64_t>(1, interval_s))) {}
  void report() {
    if (!ownership_) return;
    auto now = std::chrono::steady_clock::now();
    const bool log_now = now - last_log_ >= interval_;
    for (const auto& [p, pos] : ownership_->restore_progress()) {
      const int64_t remaining = std::max<int64_t>(0, pos.target - pos.next);
      metrics_.set_restore_remaining(p, remaining);
      if (remaining > 0 && log_now) {
        spdlog::info("restore: partition {} at offset {} of {} ({} to go)", p, pos.next, pos.target, remaining);
      }
      // Once per assignment that had something to restore.
      if (remaining == 0 && pos.target > pos.start && done_.insert({p, pos.start, pos.target}).second) {
        spdlog::info("restore: partition {} serves ({} records restored from offset {})", p, pos.target - pos.start,
                     pos.start);
      }
    }
    if (log_now) last_log_ = now;
  }

 private:
  PartitionOwnership* ownership_;
  EngineMetrics& metrics_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_log_{};
  std::set<std::tuple<int32_t, int64_t, int64_t>> done_;
};

// A member id unique to this process: host, pid and a random suffix.
std::string member_id() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + suffix;
}

// HOST:PORT a local client can connect to ("" when HTTP is off).
std::string http_address(const std::string& listen, int port) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "[::1]";
  return host + ":" + std::to_string(port);
}

// CARELOG_FAILURE_PROBES="name:n,...": tests make the n-th pass through a
// probe (engine/failure_probe.h) fire, in a real process.
void arm_failure_probes_from_env() {
  const char* spec = std::getenv("CARELOG_FAILURE_PROBES");
  if (!spec) return;
  std::string_view rest(spec);
  while (!rest.empty()) {
    const std::string_view item = rest.substr(0, rest.find(','));
    rest.remove_prefix(std::min(rest.size(), item.size() + 1));
    const size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) continue;
    const uint64_t nth = std::strtoull(std::string(item.substr(colon + 1)).c_str(), nullptr, 10);
    failure_probe::arm(item.substr(0, colon), nth);
    spdlog::warn("failure probe {} armed (pass {})", item.substr(0, colon), nth);
  }
}

ReturnsPolicy policy_of(const Config& cfg) {
  ReturnsPolicy p;
  p.non_returnable_categories = cfg.non_returnable_categories;
  for (const auto& [scope, dates] : cfg.holidays) {
    auto dot = scope.find('.');
    if (scope == "default") {
      p.holiday = to_extension(dates);
    } else if (dot == std::string::npos) {
      p.marketplace_holiday[scope] = to_extension(dates);
    } else {
      p.year_overrides[scope.substr(0, dot)][std::atoi(scope.c_str() + dot + 1)] = to_extension(dates);
    }
  }
  return p;
}

// The signer of the notifications' action links, when a secret is configured.
std::shared_ptr<const ActionLinkSigner> action_link_signer(const Config& cfg) {
  if (cfg.action_link_secret.empty()) return nullptr;
  return std::make_shared<const ActionLinkSigner>(cfg.action_link_secret, cfg.action_link_base_url,
                                                  cfg.action_link_ttl_s);
}

IngestOptions ingest_options(const Config& cfg, const std::string& topic) {
  IngestOptions o;
  o.action_links = action_link_signer(cfg);
  o.topic = topic;
  o.projector.returns_policy = policy_of(cfg);
  o.decoder.marketplaces = cfg.marketplaces;
  o.decoder.max_record_bytes = static_cast<size_t>(cfg.max_record_bytes);
  o.decoder.max_future_micros = cfg.future_skew_s * 1'000'000;
  o.checkpoint_records = static_cast<size_t>(cfg.checkpoint_records);
  o.checkpoint_interval = std::chrono::milliseconds(cfg.checkpoint_interval_ms);
  return o;
}

// A full batch is submitted: its commit overlaps the next batch's fetch and
// fold (`in_flight` is then true). A partial one means the source has
// nothing more for now, so it is committed before returning (no added
// latency at low rates); an empty one commits the batch in flight. Either
// way every batch handed over before `batch` is committed on success.
Status ingest_or_submit(Ingestor& ingestor, std::span<const SourceRecord> batch, size_t batch_size,
                        BatchResult& res, bool* in_flight = nullptr) {
  if (in_flight) *in_flight = false;
  if (batch.empty()) return ingestor.flush(&res);
  if (batch.size() < batch_size) return ingestor.ingest(batch, &res);
  if (in_flight) *in_flight = true;
  return ingestor.submit(batch, &res);
}

// `source_ready` runs once the consumer has been created (the brokers
// accepted its credentials), before the first batch.
int run_kafka(const Config& cfg, EventLog& log, EngineMetrics& metrics, ProjectionStore& store,
              PartitionOwnership* ownership, const std::function<Status()>& source_ready, CommandDesk& desk) {
  std::unique_ptr<KafkaDeadLetterSink> dlq;
  Status st = KafkaDeadLetterSink::create(cfg.brokers, cfg.kafka, cfg.effective_dlq_topic(), dlq);
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return 1;
  }
  Ingestor ingestor(log, ingest_options(cfg, cfg.topic), metrics, dlq.get(), &store);
  ingestor.set_command_desk(&desk);
  if (Status erased = ingestor.carry_out_erasures(); !erased.ok()) {
    spdlog::error("{}", erased.message());
    return 1;
  }
  std::unique_ptr<KafkaSource> source;
  KafkaSourceOptions so{cfg.brokers, cfg.topic, cfg.group, cfg.kafka,
                        static_cast<size_t>(cfg.batch_size), static_cast<int>(cfg.batch_wait_ms), ownership};
  st = KafkaSource::create(
      so, [&](uint32_t p) { return ingestor.resume_offset(p); },
      [&](std::span<const SourceRecord> in_hand) { return ingestor.ingest(in_hand); }, &metrics,
      source);
  if (st.ok()) st = bind_source(log, source_identity(cfg), cfg.data_dir);
  if (st.ok() && source_ready) st = source_ready();
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return 1;
  }
  std::unique_ptr<DecisionsPublisher> publisher;
  st = DecisionsPublisher::create(cfg.brokers, cfg.kafka, cfg.decisions_topic, log, &metrics, publisher);
  if (st.ok()) st = publisher->publish_pending();  // what a crash left unpublished
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return 1;
  }
  publisher->start();
  StatsLogger stats(metrics, cfg.stats_interval_s);
  RestoreReporter restores(ownership, metrics, cfg.stats_interval_s > 0 ? cfg.stats_interval_s : 10);
  int code = 0;
  // The next offsets of the batch whose commit is running: announced (to the
  // group and the partition ownership) once committed, never before.
  std::map<int32_t, int64_t> in_flight_offsets;
  while (!g_stop.load()) {
    // Sellers' commands first: their events are produced by the HTTP threads.
    BatchResult decided;
    if (st = ingestor.decide_commands(&decided); !st.ok()) {
      spdlog::error("ingest stopped: {}", st.message());
      code = 1;
      break;
    }
    if (decided.derived > 0) publisher->notify();
    std::span<const SourceRecord> batch;
    st = source->next_batch(batch);
    BatchResult res;
    bool in_flight = false;
    const std::map<int32_t, int64_t> offsets = source->in_hand_offsets();
    if (st.ok()) st = ingest_or_submit(ingestor, batch, static_cast<size_t>(cfg.batch_size), res, &in_flight);
    if (!st.ok()) {
      spdlog::error("ingest stopped: {}", st.message());
      source->drop_in_hand();
      code = 1;
      break;
    }
    // Committed: the partitions' progress is known before the decisions go
    // out (their cursor in RocksDB makes a failed publish resume at restart).
    std::map<int32_t, int64_t> done = std::exchange(in_flight_offsets, {});
    if (in_flight) {
      in_flight_offsets = offsets;
    } else {
      for (const auto& [p, next] : offsets) done[p] = next;  // later than the batch before
    }
    source->committed(done);
    source->drop_in_hand();  // the batch's bytes were copied into the log batch
    restores.report();
    if (res.derived > 0) publisher->notify();
    st = publisher->error();
    if (!st.ok()) {
      spdlog::error("ingest stopped: {}", st.message());
      code = 1;
      break;
    }
    stats.maybe_log();
  }
  // The batch whose commit is in flight, then the projections' last rows.
  Status flushed = code == 0 ? ingestor.checkpoint() : ingestor.flush();
  if (flushed.ok()) {
    source->committed(in_flight_offsets);
  } else {
    spdlog::error("ingest stopped: {}", flushed.message());
  }
  st = source->close();  // may commit a batch in hand (revocation)
  if (st.ok()) st = flushed;
  // (An error of the publisher's that stopped the loop is logged already.)
  if (Status published = publisher->stop(); st.ok() && code == 0) st = published;
  if (st.ok()) st = publisher->publish_pending();
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    code = 1;
  }
  stats.maybe_log(true);
  return code;
}

int run_file(const Config& cfg, EventLog& log, EngineMetrics& metrics, ProjectionStore& store, CommandDesk& desk) {
  Ingestor ingestor(log, ingest_options(cfg, source_identity(cfg)), metrics, nullptr, &store);
  ingestor.set_command_desk(&desk);
  if (Status erased = ingestor.carry_out_erasures(); !erased.ok()) {
    spdlog::error("{}", erased.message());
    return 1;
  }
  int64_t start = ingestor.resume_offset(0).value_or(0);
  std::unique_ptr<FileSource> source;
  std::optional<FilePosition> stored_position;
  if (auto bytes = log.source_state(kFilePositionState)) stored_position = FilePosition::decode(*bytes);
  Status st = FileSource::open(cfg.file_path(), start, stored_position, source);
  if (st.ok()) st = bind_source(log, source_identity(cfg), cfg.data_dir);
  // The incarnation the offsets count in, stored whenever it changes, once
  // every record read before the change is committed.
  auto store_position = [&]() -> Status {
    if (stored_position == source->position()) return Status::Ok();
    BatchResult flushed;
    if (Status f = ingestor.flush(&flushed); !f.ok()) return f;
    Status w = log.set_source_state(kFilePositionState, source->position().encode());
    if (w.ok()) stored_position = source->position();
    return w;
  };
  if (st.ok()) st = store_position();
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return 1;
  }
  spdlog::info("file source: {} from byte {}{}", cfg.file_path(), start, cfg.follow ? " (following)" : "");
  StatsLogger stats(metrics, cfg.stats_interval_s);
  while (!g_stop.load()) {
    // Sellers' commands: appended here, between two batches of the file.
    if (st = ingestor.decide_commands(); !st.ok()) {
      spdlog::error("ingest stopped: {}", st.message());
      return 1;
    }
    std::span<const SourceRecord> batch;
    bool at_end = false;
    st = source->next_batch(static_cast<size_t>(cfg.batch_size), cfg.follow, batch, at_end);
    if (st.ok() && batch.empty() && !at_end) st = store_position();  // (replaced or truncated)
    BatchResult res;
    if (st.ok()) st = ingest_or_submit(ingestor, batch, static_cast<size_t>(cfg.batch_size), res);
    if (!st.ok()) {
      spdlog::error("ingest stopped: {}", st.message());
      return 1;
    }
    stats.maybe_log();
    if (at_end && batch.empty()) {
      if (!cfg.follow) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(cfg.batch_wait_ms > 0 ? cfg.batch_wait_ms : 50));
    }
  }
  // The batch whose commit is in flight, then the projections' last rows.
  if (st = ingestor.checkpoint(); !st.ok()) {
    spdlog::error("ingest stopped: {}", st.message());
    return 1;
  }
  stats.maybe_log(true);
  if (metrics.rejected.load() > 0) {
    spdlog::warn("{} records were rejected; see `carelog log rejected --data-dir {}`",
                 metrics.rejected.load(), cfg.data_dir);
  }
  return 0;
}

}  // namespace

ReturnsPolicy returns_policy(const Config& cfg) { return policy_of(cfg); }

int run_engine(const Config& cfg) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("carelog"));
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);

  std::unique_ptr<EventLog> log;
  Status st = EventLog::open(cfg.data_dir, EventLogOptions{false, cfg.disable_wal}, log);
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return 1;
  }
  std::string identity = source_identity(cfg);
  std::string previous = log->source_topic();
  if (!previous.empty() && previous != identity) {
    // Refuse before touching the source at all.
    spdlog::error("data dir {} holds the log of {}, not of {}; use another --data-dir", cfg.data_dir,
                  previous, identity);
    return 1;
  }

  arm_failure_probes_from_env();
  EngineMetrics metrics;
  auto heads = log->heads();
  spdlog::info("carelog starting: source {}, data dir {}, {} events in {} partitions{}", identity,
               cfg.data_dir, log->approximate_event_count(), heads.size(),
               cfg.config_file.empty() ? "" : ", config " + cfg.config_file);
  for (auto& [p, offset] : log->stored_offsets()) {
    spdlog::info("  partition {}: {} events, resumes at offset {}", p, log->head(p).seq, offset);
  }
  if (!cfg.file_source()) {
    spdlog::info("  brokers {}, group {}, dead letters to {}, batches of {} (wait {} ms)", cfg.brokers,
                 cfg.group, cfg.effective_dlq_topic(), cfg.batch_size, cfg.batch_wait_ms);
  }
  // A rebuild stopped early (replay --until), or the engine stopped without
  // its last projection checkpoint (killed), left the projections' rows
  // behind the log: complete them before serving or folding anything new.
  ProjectorOptions projector_options{policy_of(cfg)};
  // The domain rules read the sellers' projections, which hold all they need
  // in the current row format only: older rows are rebuilt first.
  {
    const uint32_t format = log->projections()->format;
    ReplayReport report;
    bool rebuilt = false;
    st = upgrade_projections(*log, projector_options, report, rebuilt);
    if (!st.ok()) {
      spdlog::error("cannot rebuild the projections of row format {} in format {}: {}", format, kRowsFormat,
                    st.message());
      return 1;
    }
    if (rebuilt) {
      spdlog::warn("the projections were in row format {}, older than the domain rules read ({}): rebuilt from {} "
                   "records into generation {} before serving", format, kRowsFormat, report.records,
                   report.generation);
    }
  }
  if (projections_stop_short(*log)) {
    uint64_t folded = 0;
    st = catch_up_projections(*log, projector_options, folded);
    if (!st.ok()) {
      spdlog::error("cannot complete the projections: {}", st.message());
      return 1;
    }
    spdlog::info("projections caught up with the log: {} records folded", folded);
  }
  // The same for the domain rules' state (written at checkpoints too).
  {
    uint64_t folded = 0;
    st = catch_up_rule_state(*log, folded);
    if (!st.ok()) {
      spdlog::error("cannot complete the domain rules' state: {}", st.message());
      return 1;
    }
    if (folded > 0) spdlog::info("domain rules' state caught up with the log: {} records folded", folded);
  }
  // The projections the queries read, kept current by the ingest fold.
  ProjectionStore store(*log, projector_options.returns_policy, /*fold_log_past_marks=*/false,
                        static_cast<size_t>(cfg.projection_memory_mb) << 20);
  QueryService queries(*log, &metrics, &store);
  RebuildService rebuilds(*log, projector_options,
                          [&log, &store] { return store.checkpoint(*log, /*gated=*/false); });
  // Scale-out (cluster.h): with a Kafka source, unless members_topic = "off".
  const bool clustered = !cfg.file_source() && cfg.members_topic != "off";
  PartitionOwnership ownership;
  ClusterView cluster_view;
  cluster_view.ownership = &ownership;
  cluster_view.https = !cfg.http_tls_cert.empty();
  cluster_view.ca_file = cfg.http_tls_cert;
  if (clustered) {
    queries.set_partition_filter([&ownership](uint32_t p) {
      return ownership.state(static_cast<int32_t>(p)) == PartitionOwnership::State::kServing;
    });
  }
  // Sellers' commands: decided by the ingest loop; their events produced to
  // the topic (Kafka), or appended by the ingest loop itself (file).
  CommandDesk desk(/*ingest_appends=*/cfg.file_source());
  std::unique_ptr<CommandProducer> command_producer;
  const std::chrono::milliseconds command_timeout(cfg.command_timeout_ms);
  if (!cfg.file_source() && cfg.http != "off") {
    st = CommandProducer::create(cfg.brokers, cfg.kafka, cfg.topic, command_timeout, command_producer);
    if (!st.ok()) {
      spdlog::error("{}", st.message());
      return 1;
    }
  }
  CommandService commands(*log, desk, queries, command_producer.get(), command_timeout);
  if (const auto links = action_link_signer(cfg)) commands.set_action_links(links);
  std::unique_ptr<HttpApi> http;
  if (cfg.http != "off") {
    HttpOptions ho;
    ho.listen = cfg.http;
    ho.admin_tokens = cfg.admin_tokens;
    ho.seller_tokens = cfg.seller_tokens;
    ho.rate_limit = static_cast<double>(cfg.http_rate_limit);
    ho.tls_cert = cfg.http_tls_cert;
    ho.tls_key = cfg.http_tls_key;
    ho.max_body_bytes = static_cast<size_t>(cfg.http_max_body_bytes);
    AdminHooks admin;
    admin.rebuild = &rebuilds;
    admin.forget_buyer = [&log, &store, projector_options](const std::string& seller, const std::string& buyer,
                                                          ErasureReport& report) {
      return forget_buyer(*log, projector_options, seller, buyer, report, &store);
    };
    // /healthz: ready once the group has assigned this instance its partitions.
    auto ready = [clustered, &ownership] { return !clustered || ownership.ever_assigned(); };
    st = HttpApi::start(ho, queries, metrics, ready, http, admin, clustered ? &cluster_view : nullptr,
                        cfg.follow || !cfg.file_source() ? &commands : nullptr);
    if (!st.ok()) {
      spdlog::error("{}", st.message());
      return 1;
    }
  }
  std::unique_ptr<Membership> membership;
  auto join_cluster = [&]() -> Status {
    if (!clustered || !http) return Status::Ok();
    MembershipOptions mo;
    mo.brokers = cfg.brokers;
    mo.properties = cfg.kafka;
    mo.members_topic = cfg.members_topic;
    mo.group = cfg.group;
    mo.source_topic = cfg.topic;
    mo.member_id = member_id();
    mo.http = cfg.http_advertised.empty() ? http_address(cfg.http, http->port()) : cfg.http_advertised;
    mo.https = cluster_view.https;
    Status joined = Membership::start(mo, ownership, membership);
    if (!joined.ok()) return Status::Error("cluster membership: " + joined.message());
    cluster_view.membership = membership.get();
    return Status::Ok();
  };
  EngineFile engine_file(cfg.data_dir, http ? http_address(cfg.http, http->port()) : "", cfg.http_tls_cert);
  int code = cfg.file_source() ? run_file(cfg, *log, metrics, store, desk)
                               : run_kafka(cfg, *log, metrics, store, clustered ? &ownership : nullptr, join_cluster,
                                           desk);
  if (http) http->stop();
  cluster_view.membership = nullptr;
  membership.reset();  // a tombstone: the others stop forwarding here at once
  spdlog::info("carelog stopped: {} events appended, {} duplicates, {} rejected; {} events in the log",
               metrics.ingested.load(), metrics.duplicates.load(), metrics.rejected.load(),
               log->approximate_event_count());
  return code;
}

}  // namespace carelog
