#include "engine/log_verify.h"

#include <cstring>

namespace carelog {
namespace {
constexpr size_t kMaxProblemsPerPartition = 100;
}  // namespace

Status verify_log(const EventLog& log, ChainReport& report) {
  auto stored_heads = log.heads();
  std::map<uint32_t, bool> seen;
  for (uint32_t p : log.partitions_in_log()) seen[p] = true;
  for (auto& [p, h] : stored_heads) seen[p] = true;

  for (const auto& entry : seen) {
    const uint32_t partition = entry.first;  // (a structured binding cannot be captured before C++20 in clang 14)
    PartitionHead head;
    bool broken = false;
    size_t problems = 0;
    Status st = log.scan_raw(partition, [&](uint64_t seq, std::string_view value) {
      ++report.records;
      if (value.size() < 33) {
        report.problems.push_back({partition, seq, "record too short to hold a hash", "", ""});
        broken = true;
        return false;
      }
      std::string_view body = value.substr(0, value.size() - 32);
      Hash found;
      std::memcpy(found.data(), value.data() + body.size(), 32);
      // After a break the walk goes on from the stored hash of the record
      // where it broke, so that every break of the partition is named.
      if (seq != head.seq + 1) {
        report.problems.push_back({partition, seq,
                                   "missing records " + std::to_string(head.seq + 1) + ".." +
                                       std::to_string(seq - 1),
                                   "seq " + std::to_string(head.seq + 1), "seq " + std::to_string(seq)});
        ++problems;
      } else if (Hash expected = chain_hash(head.hash, body); expected != found) {
        report.problems.push_back({partition, seq, "hash mismatch (record altered)", to_hex(expected),
                                   to_hex(found)});
        ++problems;
      }
      head.seq = seq;
      head.hash = found;
      if (problems >= kMaxProblemsPerPartition) {
        broken = true;  // enough to show the log is not what it was
        return false;
      }
      return true;
    });
    if (!st.ok()) return st;
    report.heads[partition] = head;
    if (broken) continue;
    auto it = stored_heads.find(partition);
    PartitionHead stored = it == stored_heads.end() ? PartitionHead{} : it->second;
    if (stored.seq != head.seq || stored.hash != head.hash) {
      report.problems.push_back({partition, head.seq + 1,
                                 "the chain ends before the stored head (records removed at the end)",
                                 "seq " + std::to_string(stored.seq) + " " + to_hex(stored.hash),
                                 "seq " + std::to_string(head.seq) + " " + to_hex(head.hash)});
    }
  }
  return Status::Ok();
}

}  // namespace carelog
