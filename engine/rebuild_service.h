// Online rebuilds: runs replay_projections beside the serving engine, on its
// own thread, one at a time, and reports its state for the admin API and
// `carelog replay` against a running engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "engine/event_log.h"
#include "engine/projector.h"

namespace carelog {

struct RebuildState {
  std::string state = "idle";  // idle | running | done | failed
  std::string projection;
  uint64_t generation = 0;     // the active generation (after `done`, the new one)
  uint64_t records_done = 0;
  uint64_t records_total = 0;
  uint64_t rows_copied = 0;
  uint64_t derived_checked = 0;
  uint64_t derived_mismatches = 0;
  std::string first_mismatch;
  std::string error;
  double seconds = 0;          // since the start (running) or its duration
  uint64_t runs = 0;           // rebuilds started since the engine started
};

// JSON of a state: {"state":"running","projection":"all",...}.
std::string rebuild_state_json(const RebuildState& s);

class RebuildService {
 public:
  // `complete_rows`: see ReplayOptions (the engine's projection checkpoint).
  RebuildService(EventLog& log, const ProjectorOptions& options, std::function<Status()> complete_rows = {});
  ~RebuildService();  // cancels a running rebuild (the old generation stays)
  RebuildService(const RebuildService&) = delete;
  RebuildService& operator=(const RebuildService&) = delete;

  // Starts a rebuild of `projection` ("all" or a name); an error when one is
  // already running or the name is unknown.
  Status start(const std::string& projection);
  RebuildState state() const;

 private:
  void run(std::string projection);
  EventLog& log_;
  ProjectorOptions options_;
  std::function<Status()> complete_rows_;
  mutable std::mutex mutex_;
  RebuildState state_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

}  // namespace carelog
