#include "engine/rebuild_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "engine/replay.h"
#include "projections/json_out.h"

namespace carelog {

std::string rebuild_state_json(const RebuildState& s) {
  std::string out = "{\"state\":";
  append_json_string(out, s.state);
  out += ",\"projection\":";
  append_json_string(out, s.projection);
  out += ",\"generation\":" + std::to_string(s.generation);
  out += ",\"records_done\":" + std::to_string(s.records_done);
  out += ",\"records_total\":" + std::to_string(s.records_total);
  out += ",\"rows_copied\":" + std::to_string(s.rows_copied);
  out += ",\"derived_checked\":" + std::to_string(s.derived_checked);
  out += ",\"derived_mismatches\":" + std::to_string(s.derived_mismatches);
  out += ",\"first_mismatch\":";
  append_json_string(out, s.first_mismatch);
  out += ",\"error\":";
  append_json_string(out, s.error);
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", s.seconds);
  out += ",\"seconds\":";
  out += secs;
  out += ",\"runs\":" + std::to_string(s.runs) + "}";
  return out;
}

RebuildService::RebuildService(EventLog& log, const ProjectorOptions& options, std::function<Status()> complete_rows)
    : log_(log), options_(options), complete_rows_(std::move(complete_rows)) {
  state_.generation = log_.projections()->number;
}

RebuildService::~RebuildService() {
  cancel_ = true;
  if (thread_.joinable()) thread_.join();
}

Status RebuildService::start(const std::string& projection) {
  if (projection != "all") {
    const auto& names = projection_names();
    if (std::find(names.begin(), names.end(), projection) == names.end()) {
      return Status::Error("unknown projection '" + projection + "'");
    }
  }
  std::lock_guard lock(mutex_);
  if (state_.state == "running") return Status::Error("a rebuild is already running");
  if (thread_.joinable()) thread_.join();  // the previous one has finished
  RebuildState next;
  next.state = "running";
  next.projection = projection;
  next.generation = log_.projections()->number;
  next.records_total = log_.approximate_event_count();
  next.runs = state_.runs + 1;
  state_ = next;
  started_ = std::chrono::steady_clock::now();
  cancel_ = false;
  thread_ = std::thread([this, projection] { run(projection); });
  return Status::Ok();
}

RebuildState RebuildService::state() const {
  std::lock_guard lock(mutex_);
  RebuildState s = state_;
  if (s.state == "running") {
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }
  return s;
}

void RebuildService::run(std::string projection) {
  spdlog::info("rebuild of {} projections started beside the serving generation {}", projection,
               log_.projections()->number);
  ReplayOptions options;
  options.projector = options_;
  options.projection = projection;
  options.online = true;
  options.cancel = &cancel_;
  options.complete_rows = complete_rows_;
  auto last_log = std::chrono::steady_clock::now();
  options.progress = [&](uint64_t done, uint64_t total) {
    std::lock_guard lock(mutex_);
    state_.records_done = done;
    state_.records_total = std::max(total, done);
    auto now = std::chrono::steady_clock::now();
    if (now - last_log >= std::chrono::seconds(10)) {
      last_log = now;
      spdlog::info("rebuild: {}/{} records", done, total);
    }
  };
  ReplayReport report;
  Status st = replay_projections(log_, options, report);
  std::lock_guard lock(mutex_);
  state_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  state_.records_done = report.records;
  state_.records_total = std::max(state_.records_total, report.records);
  state_.rows_copied = report.rows_copied;
  state_.derived_checked = report.derived_checked;
  state_.derived_mismatches = report.derived_mismatches;
  state_.first_mismatch = report.first_mismatch;
  state_.generation = log_.projections()->number;
  if (st.ok()) {
    state_.state = "done";
    spdlog::info("rebuild of {} projections done: generation {} serves, {} records in {:.2f} s, {} derived "
                 "events checked, {} differ",
                 projection, state_.generation, report.records, state_.seconds, report.derived_checked,
                 report.derived_mismatches);
  } else {
    state_.state = "failed";
    state_.error = st.message();
    spdlog::error("rebuild of {} projections failed: {} (generation {} keeps serving)", projection,
                  st.message(), state_.generation);
  }
}

}  // namespace carelog
