// Audit of the log's hash chains: walks every partition from its first record,
// recomputing hash = BLAKE2b(prev_hash || body), and reports per partition the
// first record that does not match (an altered record), a gap in the
// sequence (a removed record), or a stored head that the chain does not reach.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/event_log.h"

namespace carelog {

struct ChainProblem {
  uint32_t partition = 0;
  uint64_t seq = 0;       // the record where the chain breaks
  std::string what;       // "hash mismatch", "missing records 5..7", ...
  std::string expected;   // hex hash (or sequence) the chain demands
  std::string found;      // what the log holds
};

struct ChainReport {
  std::map<uint32_t, PartitionHead> heads;  // as recomputed from the records
  uint64_t records = 0;
  std::vector<ChainProblem> problems;  // the first problem of each bad partition
  bool ok() const { return problems.empty(); }
};

Status verify_log(const EventLog& log, ChainReport& report);

}  // namespace carelog
