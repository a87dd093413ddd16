#include "engine/replay.h"

#include <rocksdb/db.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/erasure.h"
#include "engine/returns_automation.h"
#include "events/log_codec.h"

namespace carelog {
namespace {

// Records a rebuild folds into its generation before it takes the gate: the
// last stretch, folded while source batches wait, is at most about this long.
constexpr uint64_t kSwitchGap = 20000;
constexpr int kMaxCatchUpRounds = 20;

// Keeps source batches waiting for as long as it lives.
class PausedBatches {
 public:
  explicit PausedBatches(EventLog& log) : log_(log) { log_.pause_batches(); }
  ~PausedBatches() { log_.resume_batches(); }
  PausedBatches(const PausedBatches&) = delete;
  PausedBatches& operator=(const PausedBatches&) = delete;

 private:
  EventLog& log_;
};

// The row tag of a projection row key (be32 partition | seller | 0x00 | tag ...).
char row_tag_of(std::string_view key) {
  size_t zero = key.find('\0', 4);
  return zero == std::string_view::npos || zero + 1 >= key.size() ? '\0' : key[zero + 1];
}

class Rebuild {
 public:
  Rebuild(EventLog& log, const ReplayOptions& options, ReplayReport& report, GenerationPtr generation)
      : log_(log), options_(options), report_(report), generation_(std::move(generation)),
        projector_(log, options.projector, options.projection), all_(log, options.projector),
        check_derived_(options.projection == "all") {}

  // The starting point: records up to these heads are folded by the
  // projections being rebuilt only (the others' rows are copied as of then);
  // every record after them by every projection.
  void set_start(const std::map<uint32_t, PartitionHead>& heads) { start_ = heads; }

  // Copies every row of `from` at `snapshot` that `projector_` does not write.
  Status copy_other_rows(const GenerationPtr& from, const rocksdb::Snapshot* snapshot) {
    const std::string rebuilt = projector_.row_tags();
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    std::unique_ptr<rocksdb::Iterator> it(log_.db()->NewIterator(ro, from->family));
    rocksdb::WriteBatch batch;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (rebuilt.find(row_tag_of(it->key().ToStringView())) != std::string::npos) continue;
      batch.Put(generation_->family, it->key(), it->value());
      ++report_.rows_copied;
      if (batch.Count() >= 10000) {
        if (auto s = log_.db()->Write({}, &batch); !s.ok()) return Status::Error("copy rows: " + s.ToString());
        batch.Clear();
        if (cancelled()) return Status::Error("rebuild cancelled");
      }
    }
    if (!it->status().ok()) return Status::Error("copy rows: " + it->status().ToString());
    if (auto s = log_.db()->Write({}, &batch); !s.ok()) return Status::Error("copy rows: " + s.ToString());
    return Status::Ok();
  }

  // Folds every partition up to `heads` (bounded by until_*), up to
  // options_.threads partitions at once.
  Status fold_to(const std::map<uint32_t, PartitionHead>& heads) {
    std::vector<std::pair<uint32_t, uint64_t>> work;
    for (const auto& [partition, head] : heads) {
      progress_[partition];  // every entry exists before the workers start (no insertion meanwhile)
      work.emplace_back(partition, head.seq);
    }
    const size_t workers = std::max<size_t>(1, std::min(options_.threads, work.size()));
    if (workers == 1) {
      for (const auto& [partition, to_seq] : work) {
        Status st = fold(partition, to_seq, projector_, all_);
        if (!st.ok()) return st;
      }
      return Status::Ok();
    }
    std::atomic<size_t> next{0};
    std::vector<Status> results(workers, Status::Ok());
    std::vector<std::thread> threads;
    for (size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        Projector rebuilt(log_, options_.projector, options_.projection), all(log_, options_.projector);
        for (size_t k = next++; k < work.size() && !failed_; k = next++) {
          results[w] = fold(work[k].first, work[k].second, rebuilt, all);
          if (!results[w].ok()) {
            failed_ = true;
            return;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const Status& st : results) {
      if (!st.ok()) return st;
    }
    return Status::Ok();
  }

  // Records still to fold to reach `heads`.
  uint64_t gap(const std::map<uint32_t, PartitionHead>& heads) {
    uint64_t n = 0;
    for (const auto& [p, head] : heads) {
      const Progress& pr = progress_[p];
      if (!pr.stopped && head.seq > pr.done) n += head.seq - pr.done;
    }
    return n;
  }

  // End of the rebuild: causes whose derived events never came.
  void finish_derived_checks() {
    if (!check_derived_) return;
    for (auto& [partition, pr] : progress_) {
      if (pr.stopped || pr.expected.empty()) continue;
      note_missing(partition, pr);
    }
  }

  // Per partition, the last seq folded where a bound stopped it short of `heads`.
  std::map<uint32_t, uint64_t> stopped_short(const std::map<uint32_t, PartitionHead>& heads) {
    std::map<uint32_t, uint64_t> out;
    for (const auto& [p, head] : heads) {
      if (progress_[p].done < head.seq) out[p] = progress_[p].done;
    }
    return out;
  }

  bool cancelled() const { return options_.cancel && options_.cancel->load(); }
  void add_to_total(uint64_t n) { total_ += n; }

 private:
  struct Progress {
    uint64_t done = 0;            // last seq folded
    bool stopped = false;         // an until_* bound was reached
    std::deque<Event> expected;   // derived events the last cause should be followed by
    uint64_t cause_seq = 0;
  };

  // Callers hold report_mutex_.
  void note_missing(uint32_t partition, Progress& pr) {
    report_.derived_mismatches += pr.expected.size();
    if (report_.first_mismatch.empty()) {
      report_.first_mismatch = "partition " + std::to_string(partition) + " seq " + std::to_string(pr.cause_seq) +
                               ": the rules now derive " + pr.expected.front().event_id + ", absent from the log";
    }
    pr.expected.clear();
  }

  void check(uint32_t partition, const LogRecord& r, Progress& pr) {
    std::lock_guard lock(report_mutex_);
    if (is_derived_event_id(r.event.event_id)) {
      ++report_.derived_checked;
      if (pr.expected.empty() || encode_binary(pr.expected.front()) != encode_binary(r.event)) {
        if (report_.derived_mismatches++ == 0) {
          report_.first_mismatch = "partition " + std::to_string(partition) + " seq " + std::to_string(r.seq) +
                                   ": the log holds " + r.event.event_id + ", the rules now derive " +
                                   (pr.expected.empty() ? std::string("nothing") : pr.expected.front().event_id);
        }
      }
      if (!pr.expected.empty()) pr.expected.pop_front();
    } else if (!pr.expected.empty()) {
      note_missing(partition, pr);
    }
  }

  // Folds `partition` up to `to_seq` with `rebuilt` (the projections being
  // rebuilt) and `all` (every projection, after the start); one thread per
  // partition at a time.
  Status fold(uint32_t partition, uint64_t to_seq, Projector& rebuilt, Projector& all) {
    Progress& pr = progress_.at(partition);
    if (options_.until_seq) to_seq = std::min(to_seq, *options_.until_seq);
    if (pr.stopped || to_seq <= pr.done) return Status::Ok();
    // Room for as many rows as the last full table held: the table then
    // never grows by rehashing every row it holds.
    auto new_batch = [&] {
      auto b = std::make_unique<LogBatch>(log_, generation_);
      b->reserve_rows(table_rows_);
      return b;
    };
    auto batch = new_batch();
    // The last batch committed: the next one reads through its rows (final,
    // and in the generation already, which no other writer touches before
    // the switch) before RocksDB, so rows read again after a commit come
    // from memory.
    std::unique_ptr<LogBatch> previous;
    const uint64_t start_seq = start_.count(partition) ? start_.at(partition).seq : 0;
    size_t in_batch = 0;
    Status inner = Status::Ok();
    Status scanned = log_.scan_events(partition, pr.done + 1, [&](const LogRecord& r, std::string_view) {
      if (r.seq > to_seq) return false;
      const bool derived = is_derived_event_id(r.event.event_id);
      if (options_.until_micros && !derived && r.event.occurred_at.micros > *options_.until_micros) {
        pr.stopped = true;
        return false;
      }
      if (check_derived_) check(partition, r, pr);
      (r.seq <= start_seq ? rebuilt : all).apply(r, *batch);
      if (check_derived_ && !derived) {
        for (Event& e : rebuilt.derive(r, *batch)) pr.expected.push_back(std::move(e));
        pr.cause_seq = r.seq;
      }
      pr.done = r.seq;
      if (batch->overlay_bytes() >= options_.table_bytes) {
        table_rows_ = batch->overlay_rows();
        inner = commit_fold(*batch);
        if (!inner.ok()) return false;
        batch->read_through(nullptr);  // the batch it read through goes now
        previous = std::move(batch);
        batch = new_batch();
        batch->read_through(previous.get());
      }
      if (++in_batch >= options_.batch_size) {
        count_done(in_batch);
        in_batch = 0;
        if (cancelled()) {
          inner = Status::Error("rebuild cancelled");
          return false;
        }
        if (failed_) {
          inner = Status::Error("stopped: another partition's fold failed");
          return false;
        }
      }
      return true;
    });
    if (!scanned.ok()) return scanned;
    if (!inner.ok()) return inner;
    if (options_.until_seq && pr.done >= *options_.until_seq) pr.stopped = true;
    Status c = commit_fold(*batch);
    if (!c.ok()) return c;
    count_done(in_batch);
    return Status::Ok();
  }

  // A large batch's rows go into the generation as a table file (no
  // memtable, no WAL); a small one, as a write (a file each would pile up
  // in level 0, and RocksDB slows every write of the database down then).
  Status commit_fold(LogBatch& batch) {
    if (batch.overlay_bytes() >= options_.min_table_bytes) return log_.commit_as_table(batch);
    return log_.commit(batch);
  }

  // Adds committed records to the report and tells the progress callback.
  void count_done(size_t records) {
    std::lock_guard lock(report_mutex_);
    report_.records += records;
    if (options_.progress) options_.progress(report_.records, total_);
  }

  EventLog& log_;
  const ReplayOptions& options_;
  ReplayReport& report_;
  GenerationPtr generation_;
  Projector projector_;  // the projections being rebuilt
  Projector all_;        // every projection
  std::map<uint32_t, PartitionHead> start_;
  const bool check_derived_;
  std::map<uint32_t, Progress> progress_;  // an entry per partition, each used by one thread at a time
  uint64_t total_ = 0;
  std::mutex report_mutex_;  // report_ and the progress callback, shared by the fold threads
  std::atomic<bool> failed_{false};
  std::atomic<size_t> table_rows_{0};  // rows in the last full table of any partition (fold)
};

uint64_t count(const std::map<uint32_t, PartitionHead>& heads) {
  uint64_t n = 0;
  for (const auto& [p, h] : heads) n += h.seq;
  return n;
}

}  // namespace

Status replay_projections(EventLog& log, const ReplayOptions& options, ReplayReport& report) {
  if (options.projection != "all") {
    const auto& names = projection_names();
    if (std::find(names.begin(), names.end(), options.projection) == names.end()) {
      return Status::Error("unknown projection " + options.projection);
    }
  }
  if (options.online && (options.until_seq || options.until_micros)) {
    return Status::Error("a rebuild that stops early cannot replace the projections of a serving engine");
  }
  if (options.projection != "all" && (options.until_seq || options.until_micros)) {
    return Status::Error("a rebuild that stops early rebuilds every projection (--projection all)");
  }
  const auto stops_short = [&] {
    return Status::Error("the projections stop short of the log (an earlier rebuild --until, or an engine "
                         "stopped without its last checkpoint): rebuild them all, or start the engine once, "
                         "before rebuilding one");
  };
  if (options.projection != "all" && !options.complete_rows && projections_stop_short(log)) {
    return stops_short();
  }
  // A rebuild of one projection copies the others' rows, which are only as
  // complete as the generation they come from: a row that came with a later
  // format (an order's returns row, say) exists there only for what was
  // folded since. So the new generation keeps the older of the two formats;
  // a rebuild of every projection gives the current one.
  const GenerationPtr serving = log.projections();
  const uint32_t format = options.projection == "all" ? kRowsFormat : std::min(kRowsFormat, serving->format);
  GenerationPtr generation;
  Status st = log.create_generation(generation, format);
  if (!st.ok()) return st;
  Rebuild rebuild(log, options, report, generation);
  auto abandon = [&](Status why) {
    log.drop_generation(generation);
    return why;
  };

  // 1. A consistent starting point: the heads and rows of committed batches only.
  std::map<uint32_t, PartitionHead> heads;
  GenerationPtr previous;
  const rocksdb::Snapshot* snapshot = nullptr;
  size_t erasures_at_start = 0;
  {
    PausedBatches paused(log);
    if (options.complete_rows) st = options.complete_rows();
    if (st.ok() && options.projection != "all" && projections_stop_short(log)) st = stops_short();
    if (!st.ok()) return abandon(st);
    erasures_at_start = log.erasure_count();
    heads = log.heads();
    previous = log.projections();
    snapshot = log.db()->GetSnapshot();
  }
  // 2. The other projections' rows, as of that point (from the generation
  // whose format the new one took).
  if (options.projection != "all" && previous != serving) {
    st = Status::Error("another rebuild replaced the projections meanwhile: run this one again");
  }
  if (st.ok() && options.projection != "all") st = rebuild.copy_other_rows(previous, snapshot);
  log.db()->ReleaseSnapshot(snapshot);
  if (!st.ok()) return abandon(st);

  // 3. The log up to that point.
  rebuild.set_start(heads);
  rebuild.add_to_total(count(heads));
  st = rebuild.fold_to(heads);
  if (!st.ok()) return abandon(st);

  // 4. What was appended meanwhile, then the switch.
  std::map<uint32_t, uint64_t> through;
  std::vector<std::pair<uint32_t, std::string>> erased_meanwhile;
  if (options.online) {
    for (int round = 0; round < kMaxCatchUpRounds; ++round) {
      auto now = log.heads();
      uint64_t gap = rebuild.gap(now);
      if (gap <= kSwitchGap) break;
      rebuild.add_to_total(gap);
      st = rebuild.fold_to(now);
      if (!st.ok()) return abandon(st);
    }
    PausedBatches paused(log);
    auto now = log.heads();
    rebuild.add_to_total(rebuild.gap(now));
    st = rebuild.fold_to(now);
    if (!st.ok()) return abandon(st);
    rebuild.finish_derived_checks();
    // Sellers whose buyer was forgotten meanwhile: rows folded before the
    // key went may hold that buyer's text.
    erased_meanwhile = log.erasures_since(erasures_at_start);
    for (const auto& [partition, seller] : erased_meanwhile) {
      uint64_t refolded = 0;
      st = refold_seller(log, options.projector, generation, partition, seller, refolded);
      if (!st.ok()) return abandon(st);
    }
    st = log.activate_generation(generation, {});
  } else {
    rebuild.finish_derived_checks();
    through = rebuild.stopped_short(heads);
    st = log.activate_generation(generation, through);
  }
  if (!st.ok()) return abandon(st);
  report.generation = generation->number;
  // ... and their old rows, folded into this generation before the key went,
  // must leave the disk as they left the previous generation's.
  for (const auto& [partition, seller] : erased_meanwhile) {
    st = purge_seller_from_disk(log, partition, seller, "");
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status upgrade_projections(EventLog& log, const ProjectorOptions& options, ReplayReport& report, bool& rebuilt) {
  rebuilt = false;
  if (log.projections()->format >= kRowsFormat) return Status::Ok();
  ReplayOptions all;
  all.projector = options;
  Status st = replay_projections(log, all, report);
  rebuilt = st.ok();
  return st;
}

bool projections_stop_short(const EventLog& log) {
  if (!log.projected_through().empty()) return true;
  for (const auto& [p, seq] : log.projections_behind()) {
    if (seq < log.head(p).seq) return true;
  }
  return false;
}

Status catch_up_projections(EventLog& log, const ProjectorOptions& options, uint64_t& folded) {
  folded = 0;
  // From the earlier of the two marks where both exist (a rebuild --until
  // on the data dir of a killed engine).
  auto through = log.projected_through();
  const auto behind = log.projections_behind();
  for (const auto& [p, seq] : behind) {
    auto [it, inserted] = through.emplace(p, seq);
    if (!inserted) it->second = std::min(it->second, seq);
  }
  if (through.empty()) return Status::Ok();
  Projector projector(log, options);
  GenerationPtr generation = log.projections();
  for (const auto& entry : through) {
    const uint32_t partition = entry.first;  // (clang 14 cannot capture a structured binding)
    const uint64_t done = entry.second;
    auto batch = std::make_unique<LogBatch>(log, generation);
    size_t in_batch = 0;
    Status inner = Status::Ok();
    // Each batch moves the mark with it: a crash midway resumes after it.
    Status scanned = log.scan_events(partition, done + 1, [&](const LogRecord& r, std::string_view) {
      projector.apply(r, *batch);
      batch->set_projected_through(partition, r.seq);
      if (behind.count(partition)) batch->set_projections_behind(partition, r.seq);
      ++folded;
      if (++in_batch >= 5000) {
        inner = log.commit(*batch);
        if (!inner.ok()) return false;
        batch = std::make_unique<LogBatch>(log, generation);
        in_batch = 0;
      }
      return true;
    });
    if (!scanned.ok()) return scanned;
    if (!inner.ok()) return inner;
    Status c = log.commit(*batch);
    if (!c.ok()) return c;
  }
  return log.set_projected_through({});
}

}  // namespace carelog
