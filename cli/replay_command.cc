#include "cli/replay_command.h"

#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/engine_client.h"
#include "engine/event_log.h"
#include "engine/replay.h"
#include "events/text_rules.h"

namespace carelog {
namespace {

// Progress on stderr: a bar with rate and ETA on a terminal, else a line every 2 s.
class ProgressReporter {
 public:
  ProgressReporter() : tty_(isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()), last_(start_) {}
  void update(uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    bool finished = done >= total;
    if (!tty_ && !finished && now - last_ < std::chrono::seconds(2)) return;
    last_ = now;
    double secs = seconds();
    double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    double eta = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : 0;
    double frac = total ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 1;
    if (tty_) {
      int filled = static_cast<int>(frac * 30);
      std::fprintf(stderr, "\r[%.*s%*s] %5.1f%%  %llu/%llu  %.0f ev/s  ETA %.0f s   ", filled,
                   "##############################", 30 - filled, "", frac * 100,
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), rate, eta);
    } else {
      std::fprintf(stderr, "replay: %llu/%llu records (%.1f%%), %.0f ev/s, ETA %.0f s\n",
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), frac * 100,
                   rate, eta);
    }
  }
  void end() {
    if (tty_) std::fprintf(stderr, "\n");
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

void print_summary(uint64_t records, double secs, uint64_t generation, uint64_t checked, uint64_t differ) {
  std::printf("replayed %llu records in %.2f s (%.0f ev/s) into generation %llu; %llu derived events checked, "
              "%llu differ\n",
              static_cast<unsigned long long>(records), secs, secs > 0 ? static_cast<double>(records) / secs : 0.0,
              static_cast<unsigned long long>(generation), static_cast<unsigned long long>(checked),
              static_cast<unsigned long long>(differ));
}

// Asks the engine running on the data dir to rebuild, and follows it.
int replay_through_engine(const ReplayCommand& c, const std::string& engine_json) {
  if (c.until_seq || c.until) {
    std::fprintf(stderr,
                 "carelog: an engine is running on %s: a rebuild that stops early (--until-seq, --until) "
                 "cannot replace the projections it serves; run it on a copy of the data dir, engine stopped\n",
                 c.data_dir.c_str());
    return 2;
  }
  auto admin = engine_admin_client(engine_json, c.token, 30);
  if (!admin) {
    std::fprintf(stderr, "carelog: the engine running on %s serves no HTTP API (http = off): stop it, or "
                         "enable its API, to rebuild\n", c.data_dir.c_str());
    return 1;
  }
  auto res = admin->http.Post(("/v1/admin/rebuild?projection=" + c.projection).c_str(), admin->headers, "",
                              "application/x-www-form-urlencoded");
  if (!res) {
    std::fprintf(stderr, "carelog: cannot reach the engine running on %s at %s\n", c.data_dir.c_str(),
                 admin->url.c_str());
    return 1;
  }
  if (res->status != 202) {
    std::fprintf(stderr, "carelog: the engine refused the rebuild (%d): %s\n", res->status, res->body.c_str());
    return 1;
  }
  uint64_t runs = json_u64(res->body, "runs");
  std::fprintf(stderr, "replay: the engine running on %s rebuilds beside the generation it serves\n",
               c.data_dir.c_str());
  ProgressReporter progress;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto s = admin->http.Get("/v1/admin/rebuild", admin->headers);
    if (!s || s->status != 200) {
      progress.end();
      std::fprintf(stderr, "carelog: lost the engine while it rebuilt (%s)\n",
                   s ? std::to_string(s->status).c_str() : "no answer");
      return 1;
    }
    const std::string& body = s->body;
    std::string state = json_field(body, "state");
    if (json_u64(body, "runs") != runs) continue;
    progress.update(json_u64(body, "records_done"), json_u64(body, "records_total"));
    if (state == "running") continue;
    progress.end();
    if (state == "failed") {
      std::fprintf(stderr, "carelog: replay failed: %s\n", json_field(body, "error").c_str());
      return 1;
    }
    uint64_t differ = json_u64(body, "derived_mismatches");
    print_summary(json_u64(body, "records_done"), std::strtod(json_field(body, "seconds").c_str(), nullptr),
                  json_u64(body, "generation"), json_u64(body, "derived_checked"), differ);
    if (differ) std::printf("first difference: %s\n", json_field(body, "first_mismatch").c_str());
    return differ ? 1 : 0;
  }
}

}  // namespace

int run_replay(const ReplayCommand& c, const ReturnsPolicy& policy) {
  ReplayOptions options;
  options.projector.returns_policy = policy;
  options.projection = c.projection;
  options.until_seq = c.until_seq;
  if (c.until) {
    auto t = text::parse_rfc3339(*c.until);
    if (!t) {
      std::fprintf(stderr, "carelog: --until: expected an RFC 3339 time, got '%s'\n", c.until->c_str());
      return 2;
    }
    options.until_micros = t->micros;
  }

  std::unique_ptr<EventLog> log;
  Status st = EventLog::open(c.data_dir, EventLogOptions{}, log);
  if (!st.ok()) {
    if (auto engine = running_engine_file(c.data_dir)) return replay_through_engine(c, *engine);
    std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
    return 1;
  }
  ProgressReporter progress;
  options.progress = [&](uint64_t done, uint64_t total) { progress.update(done, total); };
  ReplayReport report;
  st = replay_projections(*log, options, report);
  progress.end();
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: replay failed: %s\n", st.message().c_str());
    return 1;
  }
  print_summary(report.records, progress.seconds(), report.generation, report.derived_checked,
                report.derived_mismatches);
  if (auto through = log->projected_through(); !through.empty()) {
    for (auto& [p, seq] : through) {
      std::printf("partition %u: projections stop at seq %llu of %llu (an engine started on this data dir "
                  "folds the rest first)\n",
                  p, static_cast<unsigned long long>(seq), static_cast<unsigned long long>(log->head(p).seq));
    }
  }
  if (report.derived_mismatches) {
    std::printf("first difference: %s\n", report.first_mismatch.c_str());
    return 1;
  }
  return 0;
}

}  // namespace carelog
