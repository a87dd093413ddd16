#include "connectors/command_service.h"

#include "events/json_encoder.h"

namespace carelog {
namespace {

QueryResponse refusal_response(const CommandRefusal& r) {
  return {r.status, error_json(r.why.code, r.why.message, r.why.field)};
}

}  // namespace

CommandService::CommandService(const EventLog& log, CommandDesk& desk, const QueryService& queries,
                               CommandProducer* producer, std::chrono::milliseconds timeout)
    : log_(log), desk_(desk), queries_(queries), producer_(producer), timeout_(timeout) {}

QueryResponse CommandService::execute(Command command) const {
  using Stage = CommandDesk::Stage;
  bool joined = false;
  std::shared_ptr<CommandDesk::Ticket> ticket = desk_.open(command, joined);
  if (joined && ticket->command.request_digest != command.request_digest) {
    return {422,
            error_json("idempotency_key_reused",
                       "this idempotency key was used for another request", "Idempotency-Key")};
  }
  const std::string timeout_ms = std::to_string(timeout_.count());
  CommandDesk::Snapshot snap =
      desk_.wait_past(ticket, Stage::kUndecided, std::chrono::steady_clock::now() + timeout_);
  if (snap.stage == Stage::kUndecided) {
    return {503,
            error_json("engine_busy", "the engine did not take the command within " + timeout_ms +
                                          " ms; retry with the same Idempotency-Key")};
  }
  if (snap.stage == Stage::kAccepted) {
    if (producer_ && desk_.claim_production(ticket)) {
      Status st = producer_->produce(command.seller_id, snap.envelope);
      if (!st.ok()) {
        desk_.fail(ticket, CommandRefusal{503, Rejection{"source_unavailable", "", st.message()}});
      }
    }
    snap = desk_.wait_past(ticket, Stage::kAccepted, std::chrono::steady_clock::now() + timeout_);
    if (snap.stage == Stage::kAccepted) {
      std::string body = "{\"event_id\":";
      append_json_string(body, command.event_id);
      body += ",\"status\":\"accepted\",\"message\":";
      append_json_string(body,
                         "the event is produced and not in the log yet; retry with the same "
                         "Idempotency-Key to read the answer");
      return {202, body + "}"};
    }
  }
  if (snap.stage != Stage::kLogged) {
    QueryResponse refused = refusal_response(snap.refusal);
    if (snap.refusal.why.code == "version_conflict") {  // with the row as it is now
      refused.body.pop_back();
      refused.body +=
          ",\"row\":" + queries_.command_row(command.seller_id, command.kind, command_row_id(command)) +
          "}";
    }
    return refused;
  }
  return answer_logged(command, snap.partition, snap.seq);
}

QueryResponse CommandService::answer_logged(const Command& command, uint32_t partition,
                                            uint64_t seq) const {
  std::optional<LogRecord> record = log_.read_record(partition, seq);
  if (!record)
    return {500, error_json("internal", "the command's event cannot be read from the log")};
  std::string body = "{\"event_id\":";
  append_json_string(body, command.event_id);
  body += ",\"event\":" + record->original;
  body +=
      ",\"row\":" + queries_.command_row(command.seller_id, command.kind, command_row_id(command)) + "}";
  return {command.kind == CommandKind::kReturnSettings ? 200 : 201, std::move(body)};
}

}  // namespace carelog

namespace carelog {

std::optional<ActionLink> CommandService::valid_link(const std::string& token,
                                                     QueryResponse& refused) const {
  std::optional<ActionLink> link = links_ ? links_->verify(token) : std::nullopt;
  if (!link ||
      (link->action != "authorize" && link->action != "close" && link->action != "reply")) {
    refused = {403, error_json("forbidden", "this action link is not valid")};
    return std::nullopt;
  }
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  if (now_s > link->expires_s) {
    refused = {403,
               error_json("link_expired", "this action link expired; act from Seller Central")};
    return std::nullopt;
  }
  return link;
}

Command CommandService::link_command(const ActionLink& link) {
  Command c;
  c.kind = link.action == "authorize" ? CommandKind::kAuthorize
           : link.action == "close"   ? CommandKind::kClose
                                      : CommandKind::kReply;
  c.seller_id = link.seller_id;
  c.target = link.target;
  c.event_id = command_event_id(link.seller_id, "action-link:" + link.nonce);
  c.acted_by = "action_link";
  return c;
}

QueryResponse CommandService::describe_link(const std::string& token) const {
  QueryResponse refused;
  std::optional<ActionLink> link = valid_link(token, refused);
  if (!link) return refused;
  const Command c = link_command(*link);
  std::string body = "{\"action\":";
  append_json_string(body, link->action);
  body += ",\"seller_id\":";
  append_json_string(body, link->seller_id);
  body += link->action == "reply" ? ",\"message_id\":" : ",\"return_id\":";
  append_json_string(body, link->target);
  body += ",\"expires_at\":";
  append_json_string(body, format_rfc3339(Timestamp{link->expires_s * 1'000'000, 0}));
  body += std::string(",\"used\":") +
          (log_.find_event_id(c.seller_id, c.event_id) ? "true" : "false") + "}";
  return {200, body};
}

QueryResponse CommandService::execute_link(const std::string& token, const std::string& body,
                                           const std::string& request_id) const {
  QueryResponse refused;
  std::optional<ActionLink> link = valid_link(token, refused);
  if (!link) return refused;
  Command c = link_command(*link);
  if (log_.find_event_id(c.seller_id, c.event_id)) {
    return {403, error_json("link_used", "this action link was used already")};
  }
  if (auto bad = read_command_body(body, c)) return refusal_response(*bad);
  c.request_id = request_id;
  c.request_digest = command_request_digest(c.kind, c.target, body);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  c.now_micros = std::chrono::duration_cast<std::chrono::milliseconds>(now).count() * 1000;
  return execute(std::move(c));
}

}  // namespace carelog
