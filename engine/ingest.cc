#include "engine/ingest.h"

#include "engine/erasure.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "engine/domain_rules.h"
#include "engine/replay.h"
#include "events/json_encoder.h"
#include "events/log_codec.h"
#include "events/text_rules.h"

#include <simdjson.h>
#include <sodium.h>

#include <spdlog/spdlog.h>

namespace carelog {
namespace {

int64_t wall_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A top-level string field of `json` when it is a JSON object that has one
// (the first of duplicates), else nullopt. Never a field nested deeper.
std::optional<std::string> top_level_string(std::string_view json, const char* field) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
  std::string_view value;
  if (object[field].get_string().get(value) != simdjson::SUCCESS) return std::nullopt;
  return std::string(value);
}

// The seller a record rejected before decoding belongs to (whose token may
// read it): its Kafka key, or without one the top-level "seller_id" of its
// JSON object; "" (the admin's alone) when neither is a seller id or they
// disagree. Never an id found deeper in the bytes: any seller's id may
// appear inside another seller's record.
std::string owner_of_undecoded(const SourceRecord& rec) {
  auto is_seller_id = [](std::string_view s) { return !s.empty() && s.size() <= 64 && text::seller_id_chars(s); };
  const std::optional<std::string> top = top_level_string(rec.value, "seller_id");
  if (rec.key && !rec.key->empty()) {
    if (!is_seller_id(*rec.key) || (top && *top != *rec.key)) return "";
    return std::string(*rec.key);
  }
  return top && is_seller_id(*top) ? *top : "";
}

}  // namespace

Ingestor::Ingestor(EventLog& log, IngestOptions options, EngineMetrics& metrics,
                   RejectionSink* sink, ProjectionStore* store)
    : log_(log),
      options_(std::move(options)),
      metrics_(metrics),
      sink_(sink),
      decoder_(options_.decoder),
      state_(log),
      projector_(log, options_.projector),
      store_(store),
      last_checkpoint_(std::chrono::steady_clock::now()),
      preparer_decoder_(options_.decoder) {
  metrics_.log_events = log_.approximate_event_count();
}

std::optional<Rejection> Ingestor::check_rules(uint32_t partition, const Event& event, LogBatch* batch) {
  if (!store_) {
    return batch ? apply_domain_rules(partition, event, state_, *batch)
                 : check_domain_rules(partition, event, state_);
  }
  std::optional<Rejection> why;
  const bool known = store_->read(partition, event.seller_id,
                                  [&](const SellerProjection& seller) { why = check_domain_rules(event, &seller); });
  if (!known) why = check_domain_rules(event, nullptr);
  return why;
}

void Ingestor::mark_projections_behind(uint32_t partition, LogBatch& batch) {
  const uint64_t generation = log_.active_generation();
  if (generation != marks_generation_) {  // first use, or a rebuild switched generations
    marked_.clear();
    for (const auto& [p, seq] : log_.projections_behind()) marked_.insert(p);
    marks_generation_ = generation;
  }
  if (!marked_.insert(partition).second) return;
  // No mark yet (the first append since the start, or since a catch-up or
  // a switch removed them): the rows are complete up to its committed head.
  // From here on checkpoints move the mark.
  batch.set_projections_behind(partition, log_.head(partition).seq);
}

bool Ingestor::checkpoint_due() const {
  return appended_since_checkpoint_ >= options_.checkpoint_records ||
         (appended_since_checkpoint_ > 0 &&
          std::chrono::steady_clock::now() - last_checkpoint_ >= options_.checkpoint_interval);
}

Status Ingestor::checkpoint(BatchResult* committed) {
  if (committed) *committed = {};
  Status st = flush(committed);
  if (!st.ok() || !store_) return st;
  if (checkpoint_in_flight_) {  // (one flush() started)
    BatchResult more;
    st = finish_checkpoint_in_flight(&more);
    if (committed) *committed += more;
    if (!st.ok()) return st;
  }
  start_checkpoint();
  return finish_checkpoint_in_flight(nullptr);
}

void Ingestor::start_checkpoint() {
  auto pending = std::make_unique<Pending>();
  pending->started = std::chrono::steady_clock::now();
  pending->checkpoint = true;
  // (Every record folded is committed: the heads read here are the folded ones.)
  pending->batch = store_->begin_checkpoint(log_, /*gated=*/true);
  Pending* p = pending.get();
  p->commit = checkpointer_.post([this, p] {
    Status s = log_.commit(*p->batch);
    p->batch->close_gate();
    p->committed_at = std::chrono::steady_clock::now();
    return s;
  });
  checkpoint_in_flight_ = std::move(pending);
  appended_since_checkpoint_ = 0;
  last_checkpoint_ = std::chrono::steady_clock::now();
}

bool Ingestor::checkpoint_committed() const {
  return checkpoint_in_flight_ &&
         checkpoint_in_flight_->commit.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

Status Ingestor::finish_checkpoint_in_flight(BatchResult* committed) {
  if (committed) *committed = {};
  if (!checkpoint_in_flight_) return Status::Ok();
  Status st = checkpoint_in_flight_->commit.get();
  std::unique_ptr<Pending> done = std::move(checkpoint_in_flight_);
  finish_checkpoint(*done, st);
  if (st.ok()) return st;
  // The store counts what it held as written: it is rebuilt from the
  // committed log, once the batch in flight is in it.
  st = Status::Error("projections checkpoint: " + st.message());
  if (Status before = finish_in_flight(committed); !before.ok()) return before;  // (recovered there)
  return recover(st);
}

void Ingestor::finish_checkpoint(const Pending& done, const Status& st) {
  store_->end_checkpoint(st);
  metrics_.checkpoint_seconds.observe(std::chrono::duration<double>(done.committed_at - done.started).count());
  metrics_.checkpoints += 1;
  metrics_.projection_bytes = store_->memory_bytes();
  metrics_.projection_sellers = store_->sellers_loaded();
  metrics_.projection_evictions = store_->evictions();
}

std::optional<int64_t> Ingestor::resume_offset(uint32_t partition) {
  auto it = next_offset_.find(partition);
  if (it != next_offset_.end()) return it->second;
  auto stored = log_.stored_offset(partition);
  if (stored) next_offset_[partition] = *stored;
  return stored;
}

void Ingestor::reject(LogBatch& batch, std::vector<RejectedRecord>& rejections, const SourceRecord& rec,
                      Rejection why, const Event* event) {
  RejectedRecord r;
  r.topic = options_.topic;
  r.partition = rec.partition;
  r.offset = rec.offset;
  if (rec.key) r.key = std::string(rec.key->substr(0, kMaxRejectedKeyBytes));
  // Kept whole up to a bound; the size and digest describe the whole.
  r.value = std::string(rec.value.substr(0, kMaxRejectedValueBytes));
  r.value_bytes = rec.value.size();
  crypto_hash_sha256(r.value_sha256.data(), reinterpret_cast<const unsigned char*>(rec.value.data()),
                     rec.value.size());
  r.reason = std::move(why);
  if (event) {
    r.seller_id = event->seller_id;
    r.event_id = event->event_id;
  } else {
    r.seller_id = owner_of_undecoded(rec);
    const std::optional<std::string> event_id = top_level_string(rec.value, "event_id");  // a label only
    if (event_id && event_id->size() <= 128) r.event_id = *event_id;
  }
  r.rejected_at_micros = wall_micros();
  batch.put_rejected(r);
  rejections.push_back(std::move(r));
}

void Ingestor::append_and_derive(LogRecord& record, const std::string& event_binary,
                                 const std::array<uint8_t, 16>& digest, LogBatch& batch, BatchResult& res) {
  batch.append(record, event_binary, digest);
  std::vector<Event> derived_events;
  if (store_) {
    bool new_seller = false;
    derived_events = store_->apply_and_derive(record, new_seller);
    if (new_seller) batch.put_seller_partition(record.event.seller_id, record.partition);
  } else {
    projector_.apply(record, batch);
    derived_events = projector_.derive(record, batch);
  }
  for (Event& derived : derived_events) {
    if (options_.action_links) sign_action_links(derived, *options_.action_links);
    // Derived events pass the same domain rules (so the sellers' state knows
    // an automatic authorization) and are folded like any other.
    if (auto why = check_rules(record.partition, derived, &batch)) {
      spdlog::error("derived event {} breaks a domain rule ({}: {}); not appended", derived.event_id,
                    why->code, why->message);
      continue;
    }
    LogRecord d;
    d.partition = record.partition;
    d.source_offset = -1;
    d.key = derived.seller_id;
    d.original = encode_json(derived);
    d.event = std::move(derived);
    std::string binary = encode_binary(d.event);
    batch.append(d, binary, content_digest(binary));
    batch.mark_derived(d.partition, d.seq);
    if (store_) {
      store_->apply(d);
    } else {
      projector_.apply(d, batch);
    }
    ++res.derived;
  }
}

void sign_action_links(Event& notification, const ActionLinkSigner& signer) {
  auto* n = std::get_if<NotificationRequested>(&notification.data);
  if (!n || !n->action_links) return;
  std::vector<std::string> links;
  for (const std::string& action : *n->action_links) {
    // A link acts on one row: a return (authorize, close) or a message (reply).
    const std::optional<std::string>& target = action == "reply" ? n->message_id : n->return_id;
    if (!target) continue;
    ActionLink link{notification.seller_id, action, *target,
                    notification.occurred_at.micros / 1'000'000 + signer.ttl_s(),
                    action_link_nonce(notification.event_id, action)};
    links.push_back(signer.url(link));
  }
  n->action_links = std::move(links);
}

BatchResult& BatchResult::operator+=(const BatchResult& o) {
  appended += o.appended;
  derived += o.derived;
  duplicates += o.duplicates;
  rejected += o.rejected;
  skipped += o.skipped;
  return *this;
}

Ingestor::~Ingestor() {
  if (in_flight_ && in_flight_->commit.valid()) in_flight_->commit.wait();
  if (checkpoint_in_flight_ && checkpoint_in_flight_->commit.valid()) checkpoint_in_flight_->commit.wait();
}

Status Ingestor::ingest(std::span<const SourceRecord> records, BatchResult* result) {
  BatchResult committed;
  Status st = submit(records, &committed);
  if (st.ok()) st = flush(&committed);
  if (result) *result = committed;
  return st;
}

Status Ingestor::submit(std::span<const SourceRecord> records, BatchResult* committed) {
  if (committed) *committed = {};
  if (store_ && (checkpoint_due() || checkpoint_committed())) {
    // flush() starts one once no batch is in flight (and takes the outcome
    // of the one before).
    BatchResult before;
    Status st = flush(&before);
    if (committed) *committed += before;
    if (!st.ok()) return st;
  }
  auto pending = std::make_unique<Pending>();
  pending->started = std::chrono::steady_clock::now();
  // Opening the batch waits while the gate is paused; the batch in flight
  // leaves the gate from its own thread, so that wait always ends.
  pending->batch = std::make_unique<LogBatch>(log_);
  pending->batch->reserve_rows(last_batch_rows_);
  pending->batch->read_through(in_flight_ ? in_flight_->batch.get() : nullptr);
  fold(records, *pending);
  pending->batch->read_through(nullptr);
  last_batch_rows_ = pending->batch->overlay_rows();

  Status st = finish_in_flight(committed);
  if (!st.ok()) return st;  // `pending` was folded on top of the failed batch: dropped with it
  Pending* p = pending.get();
  p->commit = committer_.post([this, p] {
    Status s = commit(*p);
    p->batch->close_gate();  // a pause (switch, erasure) may go on once committed
    return s;
  });
  in_flight_ = std::move(pending);
  // An erasure acts on committed records, and trimming the cache must not
  // drop writes a commit has not made durable yet.
  // (With a store, the cache is trimmed at the flushes around checkpoints.)
  if (in_flight_->batch->requests_erasure() || (!store_ && state_.over_limit())) return flush(committed);
  return Status::Ok();
}

Status Ingestor::flush(BatchResult* committed) {
  Status st = finish_in_flight(committed);
  if (!st.ok()) return st;
  uncommitted_command_digests_.clear();  // (every batch folded is committed)
  // The checkpoint in flight commits beside the batches that follow it; it
  // is waited for when done, before the next one, and before an erasure
  // (which rewrites rows the checkpoint may hold).
  const bool erasures = !log_.pending_erasures().empty();
  if (checkpoint_in_flight_ && (erasures || checkpoint_committed() || (store_ && checkpoint_due()))) {
    BatchResult more;
    st = finish_checkpoint_in_flight(&more);
    if (committed) *committed += more;
    if (!st.ok()) return st;
  }
  // (With a checkpoint in flight, entities counted clean may not be durable yet.)
  if (!checkpoint_in_flight_) state_.trim_cache();
  if (erasures) st = carry_out_erasures();
  // No batch is in flight: a checkpoint now is consistent.
  if (st.ok() && store_ && checkpoint_due()) start_checkpoint();
  return st;
}

Status Ingestor::recover(Status failed) {
  // A checkpoint in flight writes rows the catch-up below rewrites: it ends
  // first (its outcome does not matter: the marks say where the rows stop).
  if (checkpoint_in_flight_) {
    Status st = checkpoint_in_flight_->commit.get();
    finish_checkpoint(*checkpoint_in_flight_, st);
    checkpoint_in_flight_.reset();
  }
  // The cache holds the failed batch's writes and those of any batch folded
  // after it: all go, and offsets are read again from the log.
  state_.drop_cache();
  uncommitted_command_digests_.clear();
  if (store_) {
    // The projections in memory may hold the failed batch: they go, and
    // the rows are brought up to the committed log (they stop short of it
    // since the last checkpoint), from which they load again.
    store_->clear();
    uint64_t folded = 0;
    if (Status caught_up = catch_up_projections(log_, options_.projector, folded); !caught_up.ok()) {
      failed = Status::Error(failed.message() + "; and the projections could not catch up: " + caught_up.message());
    }
    marks_generation_ = 0;  // read the marks again
  }
  next_offset_.clear();
  return failed;
}

Status Ingestor::commit(Pending& pending) {
  const auto now = std::chrono::steady_clock::now();
  if (sink_ && !pending.rejections.empty() && now < dead_letter_paused_until_) {
    metrics_.dead_letter_failures += pending.rejections.size();  // (logged when the pause began)
  } else if (sink_ && !pending.rejections.empty()) {
    Status st;
    // After a failed batch, one attempt until the topic takes records again.
    const int attempts = dead_letter_paused_until_ == std::chrono::steady_clock::time_point{} ? kDeadLetterAttempts : 1;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      st = Status::Ok();
      for (const auto& r : pending.rejections) {
        st = sink_->publish(r);
        if (!st.ok()) break;
      }
      if (st.ok()) st = sink_->flush();
      if (st.ok()) break;
      spdlog::warn("dead-letter publish of {} rejected records, attempt {} of {}: {}", pending.rejections.size(),
                   attempt, attempts, st.message());
    }
    dead_letter_paused_until_ = {};
    if (!st.ok()) {
      // Batches meanwhile do not wait for a topic that failed just now.
      dead_letter_paused_until_ = std::chrono::steady_clock::now() + kDeadLetterPause;
      // A record the dead-letter topic will not take never stops ingest: it
      // stays in the rejected store (this batch), where `carelog rejected`
      // and /v1/rejected find it.
      const RejectedRecord& first = pending.rejections.front();
      spdlog::error("{} rejected records not dead-lettered (from {} partition {} offset {}): {}; they are kept "
                    "in the rejected store, and the rejections of the next {} s go there only",
                    pending.rejections.size(), first.topic, first.partition, first.offset, st.message(),
                    std::chrono::duration_cast<std::chrono::seconds>(kDeadLetterPause).count());
      metrics_.dead_letter_failures += pending.rejections.size();
    }
  }
  return log_.commit(*pending.batch);
}

Status Ingestor::finish_in_flight(BatchResult* committed) {
  if (!in_flight_) return Status::Ok();
  std::unique_ptr<Pending> done = std::move(in_flight_);
  Status st = done->commit.get();
  if (!st.ok()) return recover(st);
  for (auto& [partition, next] : done->next_offsets) next_offset_[partition] = next;
  const BatchResult& res = done->result;
  appended_since_checkpoint_ += res.appended + res.derived;
  metrics_.ingested += res.appended;
  metrics_.derived += res.derived;
  metrics_.log_events += res.appended + res.derived;
  metrics_.duplicates += res.duplicates;
  for (const auto& r : done->rejections) metrics_.count_rejection(r.reason.code);
  metrics_.batches += 1;
  metrics_.batch_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - done->started).count());
  if (committed) *committed += res;
  if (desk_) {
    for (auto& o : done->command_outcomes) {
      if (o.rejection) {
        desk_->rejected(o.event_id, refusal_of(std::move(*o.rejection)));
      } else {
        desk_->logged(o.event_id, o.partition, o.seq);
      }
    }
  }
  return Status::Ok();
}

bool Ingestor::same_command(const std::string& event_id, const EventIdEntry& seen, std::string_view value) const {
  const std::optional<std::string> digest = recorded_request_digest(value);
  if (!digest) return false;
  if (auto it = uncommitted_command_digests_.find(event_id); it != uncommitted_command_digests_.end()) {
    return it->second == *digest;
  }
  const std::optional<LogRecord> logged = log_.read_record(seen.partition, seen.seq);
  return logged && recorded_request_digest(logged->original) == digest;
}

Status Ingestor::decide_commands(BatchResult* committed) {
  if (committed) *committed = {};
  if (!desk_ || !desk_->has_undecided()) return Status::Ok();
  // The batch in flight commits first: a retried command whose event it
  // holds is then found in the log.
  if (Status st = flush(committed); !st.ok()) return st;
  std::vector<std::shared_ptr<CommandDesk::Ticket>> tickets = desk_->take_undecided();
  std::vector<SourceRecord> records;
  std::vector<std::shared_ptr<CommandDesk::Ticket>> appending;
  // Every event folded so far is in the state the commands are checked against.
  for (const auto& ticket : tickets) {
    const Command& c = ticket->command;
    // Every taker gave up waiting (it answered 503): not carried out.
    if (ticket.use_count() == 1) continue;
    // A retry of a command whose event is committed: the same answer.
    if (auto entry = log_.find_event_id(c.seller_id, c.event_id)) {
      const std::optional<LogRecord> logged = log_.read_record(entry->partition, entry->seq);
      if (logged && recorded_request_digest(logged->original) == c.request_digest) {
        desk_->logged(c.event_id, entry->partition, entry->seq);
      } else {
        desk_->refuse(ticket, CommandRefusal{422, Rejection{"idempotency_key_reused", "Idempotency-Key",
                                                            "this idempotency key was used for another request"}});
      }
      continue;
    }
    const uint32_t partition = log_.seller_partition(c.seller_id).value_or(0);
    std::variant<std::string, CommandRefusal> built = CommandRefusal{};
    bool known = store_ && store_->read(partition, c.seller_id, [&](const SellerProjection& s) {
      built = build_command_envelope(c, &s);
    });
    if (!known) built = build_command_envelope(c, nullptr);
    if (auto* refused = std::get_if<CommandRefusal>(&built)) {
      desk_->refuse(ticket, std::move(*refused));
      continue;
    }
    std::string& envelope = std::get<std::string>(built);
    Result<Event> event = decoder_.decode(envelope, c.seller_id);
    if (!event) {
      desk_->refuse(ticket, refusal_of(event.rejection()));
      continue;
    }
    if (auto why = check_rules(partition, event.value(), nullptr)) {
      desk_->refuse(ticket, refusal_of(std::move(*why)));
      continue;
    }
    desk_->accept(ticket, std::move(envelope), partition);
    if (desk_->ingest_appends()) appending.push_back(ticket);
  }
  if (appending.empty()) return Status::Ok();
  records.reserve(appending.size());
  for (const auto& ticket : appending) {
    SourceRecord r;
    r.partition = ticket->partition;
    r.key = ticket->command.seller_id;
    r.value = ticket->envelope;  // (the ticket outlives the batch: `appending` holds it)
    r.command = true;
    records.push_back(r);
  }
  BatchResult appended;
  Status st = ingest(records, &appended);
  if (committed) *committed += appended;
  return st;
}

Status Ingestor::carry_out_erasures() {
  for (const auto& [seller, buyer] : log_.pending_erasures()) {
    ErasureReport report;
    Status st = forget_buyer(log_, options_.projector, seller, buyer, report, store_);
    if (!st.ok()) return Status::Error("erasure of buyer " + buyer + " of seller " + seller + ": " + st.message());
  }
  return Status::Ok();
}

void Ingestor::prepare(std::span<Prepared> records, JsonDecoder& decoder) const {
  std::vector<std::pair<std::string_view, std::string_view>> probes;
  std::vector<Prepared*> probed;
  probes.reserve(records.size());
  probed.reserve(records.size());
  for (Prepared& d : records) {
    d.event = decoder.decode(d.rec->value, d.rec->key);
    if (!d.event) continue;
    encode_binary(d.event.value(), d.binary);
    d.digest = content_digest(d.binary);
    probes.emplace_back(d.event.value().seller_id, d.event.value().event_id);
    probed.push_back(&d);
  }
  std::vector<std::optional<EventIdEntry>> in_log = log_.find_event_ids(probes);
  for (size_t i = 0; i < probed.size(); ++i) probed[i]->in_log = std::move(in_log[i]);
}

void Ingestor::fold(std::span<const SourceRecord> records, Pending& pending) {
  LogBatch& batch = *pending.batch;
  BatchResult& res = pending.result;
  std::map<uint32_t, int64_t>& batch_next = pending.next_offsets;

  // The records not delivered before.
  std::vector<Prepared> decoded;
  decoded.reserve(records.size());
  for (const SourceRecord& rec : records) {
    if (rec.command) {  // (no source offset)
      decoded.push_back(Prepared{&rec, Result<Event>(Rejection{}), {}, {}, std::nullopt});
      continue;
    }
    // Below the committed offset, or the offset the batch in flight reaches,
    // or this batch's own: delivered before.
    int64_t floor = resume_offset(rec.partition).value_or(0);
    if (in_flight_) {
      if (auto it = in_flight_->next_offsets.find(rec.partition); it != in_flight_->next_offsets.end()) {
        floor = std::max(floor, it->second);
      }
    }
    if (auto it = batch_next.find(rec.partition); it != batch_next.end()) floor = it->second;
    if (rec.offset < floor) {
      ++res.skipped;
      continue;
    }
    batch_next[rec.partition] = rec.next_offset;
    decoded.push_back(Prepared{&rec, Result<Event>(Rejection{}), {}, {}, std::nullopt});
  }

  // Prepared (prepare()) chunk by chunk on the preparing thread while this
  // one folds the chunks before; a small batch on this thread. `ready`: the
  // records prepared so far (the vector no longer moves: views into it hold).
  const size_t n = decoded.size();
  std::atomic<size_t> ready{0};
  std::atomic<bool> prepare_failed{false};
  std::mutex ready_mutex;
  std::condition_variable ready_cv;
  std::future<Status> preparing;
  // However this function leaves, the preparing thread is done with the
  // locals above first.
  struct WaitOnExit {
    std::future<Status>& job;
    ~WaitOnExit() {
      if (job.valid()) job.wait();
    }
  } wait_on_exit{preparing};
  if (n < kPrepareChunk) {
    prepare(decoded, decoder_);
    ready = n;
  } else {
    preparing = preparer_.post([&] {
      try {
        for (size_t begin = 0; begin < n; begin += kPrepareChunk) {
          const size_t end = std::min(n, begin + kPrepareChunk);
          prepare(std::span<Prepared>(decoded).subspan(begin, end - begin), preparer_decoder_);
          std::lock_guard lock(ready_mutex);
          ready.store(end, std::memory_order_release);
          ready_cv.notify_one();
        }
      } catch (...) {
        std::lock_guard lock(ready_mutex);
        prepare_failed = true;
        ready.store(n, std::memory_order_release);
        ready_cv.notify_one();
        throw;
      }
      return Status::Ok();
    });
  }

  for (size_t i = 0; i < n; ++i) {
    if (ready.load(std::memory_order_acquire) <= i) {
      std::unique_lock lock(ready_mutex);
      ready_cv.wait(lock, [&] { return ready.load(std::memory_order_acquire) > i; });
    }
    if (prepare_failed) break;  // preparing.get() below rethrows
    Prepared& d = decoded[i];
    const SourceRecord& rec = *d.rec;
    if (store_) mark_projections_behind(rec.partition, batch);
    if (!d.event) {
      reject(batch, pending.rejections, rec, d.event.rejection(), nullptr);
      ++res.rejected;
      continue;
    }
    Event& event = d.event.value();
    const bool command = is_command_event_id(event.event_id);
    // (The event moves into its log record: the id is kept apart.)
    const std::string command_id = command && desk_ ? event.event_id : std::string();
    auto report = [&](uint32_t partition, uint64_t seq, std::optional<Rejection> why) {
      if (!command_id.empty()) pending.command_outcomes.push_back({command_id, partition, seq, std::move(why)});
    };
    const EventIdEntry* seen = batch.pending_event_id(event.seller_id, event.event_id);
    if (!seen && d.in_log) seen = &*d.in_log;
    if (seen) {
      if (seen->digest == d.digest || seen->digest == kErasedDigest ||
          (command && same_command(event.event_id, *seen, rec.value))) {
        ++res.duplicates;
        report(seen->partition, seen->seq, std::nullopt);
      } else {
        report(0, 0, Rejection{reject::kIdConflict, "event_id", "event id " + event.event_id + " is already in the log"});
        reject(batch, pending.rejections, rec,
               Rejection{reject::kIdConflict, "event_id",
                         "event id " + event.event_id + " is already in the log (partition " +
                             std::to_string(seen->partition) + ", seq " + std::to_string(seen->seq) +
                             ") with different content"},
               &event);
        ++res.rejected;
      }
      continue;
    }

    if (auto why = check_rules(rec.partition, event, &batch)) {
      report(0, 0, *why);
      reject(batch, pending.rejections, rec, std::move(*why), &event);
      ++res.rejected;
      continue;
    }
    LogRecord record;
    record.partition = rec.partition;
    record.source_offset = rec.command ? -1 : rec.offset;
    if (rec.key) record.key = std::string(*rec.key);
    record.original = std::string(rec.value);
    record.event = std::move(event);
    if (const auto* erasure = std::get_if<BuyerErasureRequested>(&record.event.data)) {
      batch.put_pending_erasure(record.event.seller_id, erasure->buyer_id);
    }
    if (command) {
      if (auto digest = recorded_request_digest(rec.value)) uncommitted_command_digests_[record.event.event_id] = *digest;
    }
    append_and_derive(record, d.binary, d.digest, batch, res);
    ++res.appended;
    report(record.partition, record.seq, std::nullopt);
  }

  if (preparing.valid()) preparing.get();  // (rethrows what the preparing thread threw)
  for (auto& [partition, next] : batch_next) batch.set_source_offset(partition, next);
}

}  // namespace carelog
