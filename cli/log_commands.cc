#include "cli/log_commands.h"

#include <cstdio>
#include <deque>

#include "engine/event_log.h"
#include "engine/log_verify.h"

#include <unistd.h>

#include <chrono>
#include "cli/engine_client.h"
#include "events/json_encoder.h"

namespace carelog {
namespace {



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
