#include "engine/replay.h"

#include <rocksdb/db.h>

#include <deque>

#include "engine/returns_automation.h"
#include "events/log_codec.h"

namespace carelog {

Status replay_projections(EventLog& log, const ReplayOptions& options, ReplayReport& report) {
  // 1. Drop every projection row.
  rocksdb::WriteOptions wo;
  auto st = log.db()->DeleteRange(wo, log.projections_family(), std::string(), std::string(16, '\xff'));
  if (!st.ok()) return Status::Error("cannot drop the projections: " + st.ToString());

  uint64_t total = log.approximate_event_count();
  Projector projector(log, options.projector);
  for (const auto& entry : log.heads()) {
    const uint32_t partition = entry.first;
    std::unique_ptr<LogBatch> batch = std::make_unique<LogBatch>(log);
    size_t in_batch = 0;
    std::deque<Event> expected;  // derived events the last cause should be followed by
    uint64_t cause_seq = 0;
    Status scan_st = Status::Ok();
    Status st2 = log.scan(partition, 1, [&](const LogRecord& r, std::string_view) {
      if (is_derived_event_id(r.event.event_id)) {
        ++report.derived_checked;
        if (expected.empty() || encode_binary(expected.front()) != encode_binary(r.event)) {
          if (report.derived_mismatches++ == 0) {
            report.first_mismatch = "partition " + std::to_string(partition) + " seq " + std::to_string(r.seq) +
                                    ": the log holds " + r.event.event_id + ", the rules now derive " +
                                    (expected.empty() ? std::string("nothing") : expected.front().event_id);
          }
        }
        if (!expected.empty()) expected.pop_front();
      } else {
        if (!expected.empty()) {
          report.derived_mismatches += expected.size();
          if (report.first_mismatch.empty()) {
            report.first_mismatch = "partition " + std::to_string(partition) + " seq " + std::to_string(cause_seq) +
                                    ": the rules now derive " + expected.front().event_id + ", absent from the log";
          }
          expected.clear();
        }
      }
      projector.apply(r, *batch);
      if (!is_derived_event_id(r.event.event_id)) {
        for (Event& e : projector.derive(r, *batch)) expected.push_back(std::move(e));
        cause_seq = r.seq;
      }
      ++report.records;
      if (++in_batch >= options.batch_size) {
        scan_st = log.commit(*batch);
        if (!scan_st.ok()) return false;
        batch = std::make_unique<LogBatch>(log);
        in_batch = 0;
        if (options.progress) options.progress(report.records, total);
      }
      return true;
    });
    if (!st2.ok()) return st2;
    if (!scan_st.ok()) return scan_st;
    if (!expected.empty()) {
      report.derived_mismatches += expected.size();
      if (report.first_mismatch.empty()) {
        report.first_mismatch = "partition " + std::to_string(partition) + " seq " + std::to_string(cause_seq) +
                                ": the rules now derive " + expected.front().event_id + ", absent from the log";
      }
    }
    Status c = log.commit(*batch);
    if (!c.ok()) return c;
    if (options.progress) options.progress(report.records, total);
  }
  return Status::Ok();
}

}  // namespace carelog
