#include "cli/log_commands.h"

#include <cstdio>
#include <deque>

#include "engine/event_log.h"
#include "engine/log_verify.h"
#include "engine/replay.h"

#include <unistd.h>

#include <chrono>
#include "events/json_encoder.h"

namespace carelog {
namespace {

std::unique_ptr<EventLog> open_read_only(const std::string& dir) {
  std::unique_ptr<EventLog> log;
  Status st = EventLog::open(dir, EventLogOptions{true, false}, log);
  if (!st.ok()) std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
  return log;
}


}  // namespace

int log_count(const std::string& data_dir) {
  auto log = open_read_only(data_dir);
  if (!log) return 1;
  uint64_t total = 0;
  auto offsets = log->stored_offsets();
  for (auto& [p, h] : log->heads()) {
    auto off = offsets.find(p);
    std::printf("partition %u: %llu events, next source offset %lld\n", p,
                static_cast<unsigned long long>(h.seq),
                off == offsets.end() ? -1LL : static_cast<long long>(off->second));
    total += h.seq;
  }
  std::printf("total: %llu events\n", static_cast<unsigned long long>(total));
  return 0;
}

int log_tail(const std::string& data_dir, int64_t n, int64_t partition) {
  auto log = open_read_only(data_dir);
  if (!log) return 1;
  for (auto& [p, h] : log->heads()) {
    if (partition >= 0 && p != static_cast<uint32_t>(partition)) continue;
    uint64_t from = h.seq > static_cast<uint64_t>(n) ? h.seq - static_cast<uint64_t>(n) + 1 : 1;
    Status st = log->scan(p, from, [&](const LogRecord& r, std::string_view) {
      std::printf("{\"partition\":%u,\"seq\":%llu,\"source_offset\":%lld,\"hash\":\"%s\",\"event\":%s}\n",
                  r.partition, static_cast<unsigned long long>(r.seq),
                  static_cast<long long>(r.source_offset), to_hex(r.hash).c_str(), r.original.c_str());
      return true;
    });
    if (!st.ok()) {
      std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
      return 1;
    }
  }
  return 0;
}

int log_verify(const std::string& data_dir) {
  auto log = open_read_only(data_dir);
  if (!log) return 1;
  ChainReport report;
  Status st = verify_log(*log, report);
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
    return 1;
  }
  for (auto& [p, h] : report.heads) {
    std::printf("partition %u: head seq %llu hash %s\n", p, static_cast<unsigned long long>(h.seq),
                to_hex(h.hash).c_str());
  }
  for (auto& pr : report.problems) {
    std::printf("BROKEN partition %u seq %llu: %s; expected %s, found %s\n", pr.partition,
                static_cast<unsigned long long>(pr.seq), pr.what.c_str(), pr.expected.c_str(),
                pr.found.c_str());
  }
  std::printf("%s: %llu records checked in %zu partitions, %zu broken\n",
              report.ok() ? "OK" : "FAILED", static_cast<unsigned long long>(report.records),
              report.heads.size(), report.problems.size());
  return report.ok() ? 0 : 1;
}


}  // namespace carelog

namespace carelog {

int run_replay(const std::string& data_dir, const ReturnsPolicy& policy) {
  std::unique_ptr<EventLog> log;
  Status st = EventLog::open(data_dir, EventLogOptions{}, log);
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: %s (is an engine running on it? stop it first)\n", st.message().c_str());
    return 1;
  }
  const bool tty = isatty(STDERR_FILENO);
  auto start = std::chrono::steady_clock::now();
  auto last = start;
  ReplayOptions options;
  options.projector.returns_policy = policy;
  options.progress = [&](uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - start).count();
    bool finished = done >= total;
    if (!tty && !finished && now - last < std::chrono::seconds(2)) return;
    last = now;
    double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    double eta = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : 0;
    double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1;
    if (tty) {
      int filled = static_cast<int>(frac * 30);
      std::fprintf(stderr, "\r[%.*s%*s] %5.1f%%  %llu/%llu  %.0f ev/s  ETA %.0f s   ", filled,
                   "##############################", 30 - filled, "", frac * 100,
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), rate, eta);
    } else {
      std::fprintf(stderr, "replay: %llu/%llu records (%.1f%%), %.0f ev/s, ETA %.0f s\n",
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), frac * 100,
                   rate, eta);
    }
  };
  ReplayReport report;
  st = replay_projections(*log, options, report);
  if (tty) std::fprintf(stderr, "\n");
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: replay failed: %s\n", st.message().c_str());
    return 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("replayed %llu records in %.2f s (%.0f ev/s); %llu derived events checked, %llu differ\n",
              static_cast<unsigned long long>(report.records), secs,
              secs > 0 ? static_cast<double>(report.records) / secs : 0.0,
              static_cast<unsigned long long>(report.derived_checked),
              static_cast<unsigned long long>(report.derived_mismatches));
  if (report.derived_mismatches) {
    std::printf("first difference: %s\n", report.first_mismatch.c_str());
    return 1;
  }
  return 0;
}

}  // namespace carelog
