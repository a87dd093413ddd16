// Where the threads that take sellers' commands (the HTTP API's) meet the
// ingest thread, which alone reads the state a command is checked against.
//
// A command's life, as its ticket's stage:
//   undecided  the taker opened it; the ingest thread takes it between two
//              batches (Ingestor::decide_commands) and decides:
//   refused    (final) a rule refuses it: nothing is emitted;
//   accepted   its event is built and passes the rules as the state stands.
//              With a Kafka source the taker produces it to the input topic;
//              with a file source the ingest thread appends it itself;
//   logged     (final) the event is committed in the log (partition, seq);
//              or refused after all (final), when the event reached the log
//              after a change the decision did not see, and the ingest's
//              rules rejected it.
//   failed     (final) the taker could not produce it (the broker is down).
//
// Tickets are found by event id: a request with the same idempotency key
// (the same event id) joins the ticket in flight instead of opening another,
// so concurrent retries wait for one event. A ticket lives while a taker or
// the ingest thread holds it; the desk keeps only a weak reference.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/command.h"

namespace carelog {

class CommandDesk {
 public:
  enum class Stage : uint8_t { kUndecided, kAccepted, kRefused, kLogged, kFailed };

  struct Ticket {
    const Command command;
    // Guarded by the desk's mutex (read them through snapshot()).
    Stage stage = Stage::kUndecided;
    CommandRefusal refusal;  // refused, failed
    std::string envelope;    // accepted: the event to produce or append
    uint32_t partition = 0;  // accepted, logged
    uint64_t seq = 0;        // logged
    bool producing = false;  // a taker claimed the production
    explicit Ticket(Command c) : command(std::move(c)) {}
  };
  // What a taker reads of a ticket.
  struct Snapshot {
    Stage stage = Stage::kUndecided;
    CommandRefusal refusal;
    std::string envelope;
    uint32_t partition = 0;
    uint64_t seq = 0;
  };

  // `ingest_appends`: the ingest thread appends accepted events itself (a
  // file source); otherwise a taker produces them (Kafka).
  explicit CommandDesk(bool ingest_appends) : ingest_appends_(ingest_appends) {}
  bool ingest_appends() const { return ingest_appends_; }

  // ---- takers ----
  // The ticket of `command`'s event id: the one in flight (`joined`), or a
  // new one for the ingest thread to decide.
  std::shared_ptr<Ticket> open(Command command, bool& joined);
  // Waits until the ticket is past `stage` (stages are ordered as declared)
  // or `deadline`; returns what it holds then.
  Snapshot wait_past(const std::shared_ptr<Ticket>& ticket, Stage stage,
                     std::chrono::steady_clock::time_point deadline);
  // True for the one taker that is to produce an accepted ticket.
  bool claim_production(const std::shared_ptr<Ticket>& ticket);
  // The production failed: the ticket ends failed.
  void fail(const std::shared_ptr<Ticket>& ticket, CommandRefusal why);

  // ---- the ingest thread ----
  bool has_undecided() const { return undecided_count_.load(std::memory_order_acquire) > 0; }
  // The undecided tickets, handed over (each is taken once).
  std::vector<std::shared_ptr<Ticket>> take_undecided();
  void refuse(const std::shared_ptr<Ticket>& ticket, CommandRefusal why);
  void accept(const std::shared_ptr<Ticket>& ticket, std::string envelope, uint32_t partition);
  // Once the batch holding the command's event committed: where it is in
  // the log, or why the ingest's rules rejected it. A no-op when no ticket
  // of that event id is held.
  void logged(const std::string& event_id, uint32_t partition, uint64_t seq);
  void rejected(const std::string& event_id, CommandRefusal why);

 private:
  std::shared_ptr<Ticket> find_locked(const std::string& event_id);
  void finish_locked(Ticket& ticket);

  const bool ingest_appends_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::weak_ptr<Ticket>> by_event_id_;
  std::vector<std::shared_ptr<Ticket>> undecided_;
  std::atomic<size_t> undecided_count_{0};
};

}  // namespace carelog
