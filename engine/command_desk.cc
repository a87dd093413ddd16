#include "engine/command_desk.h"

namespace carelog {

std::shared_ptr<CommandDesk::Ticket> CommandDesk::find_locked(const std::string& event_id) {
  auto it = by_event_id_.find(event_id);
  if (it == by_event_id_.end()) return nullptr;
  std::shared_ptr<Ticket> ticket = it->second.lock();
  if (!ticket) by_event_id_.erase(it);
  return ticket;
}

void CommandDesk::finish_locked(Ticket& ticket) {
  auto it = by_event_id_.find(ticket.command.event_id);
  if (it != by_event_id_.end() && it->second.lock().get() == &ticket) by_event_id_.erase(it);
  changed_.notify_all();
}

std::shared_ptr<CommandDesk::Ticket> CommandDesk::open(Command command, bool& joined) {
  std::lock_guard lock(mutex_);
  if (std::shared_ptr<Ticket> held = find_locked(command.event_id)) {
    joined = true;
    return held;
  }
  joined = false;
  auto ticket = std::make_shared<Ticket>(std::move(command));
  by_event_id_[ticket->command.event_id] = ticket;
  undecided_.push_back(ticket);
  undecided_count_.store(undecided_.size(), std::memory_order_release);
  return ticket;
}

CommandDesk::Snapshot CommandDesk::wait_past(const std::shared_ptr<Ticket>& ticket, Stage stage,
                                             std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return ticket->stage > stage; });
  return Snapshot{ticket->stage, ticket->refusal, ticket->envelope, ticket->partition, ticket->seq};
}

bool CommandDesk::claim_production(const std::shared_ptr<Ticket>& ticket) {
  std::lock_guard lock(mutex_);
  if (ticket->stage != Stage::kAccepted || ticket->producing) return false;
  ticket->producing = true;
  return true;
}

void CommandDesk::fail(const std::shared_ptr<Ticket>& ticket, CommandRefusal why) {
  std::lock_guard lock(mutex_);
  if (ticket->stage > Stage::kAccepted) return;
  ticket->stage = Stage::kFailed;
  ticket->refusal = std::move(why);
  finish_locked(*ticket);
}

std::vector<std::shared_ptr<CommandDesk::Ticket>> CommandDesk::take_undecided() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Ticket>> taken;
  taken.swap(undecided_);
  undecided_count_.store(0, std::memory_order_release);
  return taken;
}

void CommandDesk::refuse(const std::shared_ptr<Ticket>& ticket, CommandRefusal why) {
  std::lock_guard lock(mutex_);
  ticket->stage = Stage::kRefused;
  ticket->refusal = std::move(why);
  finish_locked(*ticket);
}

void CommandDesk::accept(const std::shared_ptr<Ticket>& ticket, std::string envelope,
                         uint32_t partition) {
  std::lock_guard lock(mutex_);
  ticket->stage = Stage::kAccepted;
  ticket->envelope = std::move(envelope);
  ticket->partition = partition;
  changed_.notify_all();
}

void CommandDesk::logged(const std::string& event_id, uint32_t partition, uint64_t seq) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<Ticket> ticket = find_locked(event_id);
  if (!ticket || ticket->stage > Stage::kAccepted) return;
  ticket->stage = Stage::kLogged;
  ticket->partition = partition;
  ticket->seq = seq;
  finish_locked(*ticket);
}

void CommandDesk::rejected(const std::string& event_id, CommandRefusal why) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<Ticket> ticket = find_locked(event_id);
  if (!ticket || ticket->stage > Stage::kAccepted) return;
  ticket->stage = Stage::kRefused;
  ticket->refusal = std::move(why);
  finish_locked(*ticket);
}

}  // namespace carelog
