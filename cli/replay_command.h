// `carelog replay`: rebuilds projections from the log into a new generation
// and switches to it (engine/replay.h). With the engine stopped it works on
// the data dir itself; while an engine runs on it (the data dir is locked and
// holds engine.json), it asks that engine to rebuild beside the generation it
// serves (POST /v1/admin/rebuild) and follows its progress. Progress goes to
// stderr: a bar on a terminal, a line every 2 s otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "projections/returns_queue.h"

namespace carelog {

struct ReplayCommand {
  std::string data_dir = "data";
  std::string projection = "all";
  std::optional<uint64_t> until_seq;
  std::optional<std::string> until;  // RFC 3339
  std::string token;                 // bearer token for a running engine's API
};

int run_replay(const ReplayCommand& command, const ReturnsPolicy& policy);

}  // namespace carelog
