// The command side of spec/commands.md, independent of transport (the HTTP
// API calls it): opens the command's ticket (engine/command_desk.h), waits
// for the ingest thread's decision, produces the accepted event to the input
// topic (with a Kafka source; a file source's ingest appends it itself),
// and answers once the event is in the log: 201 (200 for a settings change)
// {"event_id", "event" (the envelope as logged), "row" (the row it changed,
// as its listing now shows it)}, so that the next query shows the change.
//
// Refusals answer the rule's status and code (command.h refusal_of), with
// "field" naming the member at fault. The same Idempotency-Key with another
// request: 422 idempotency_key_reused. The event not produced within the
// timeout (the broker is down): 503 source_unavailable, and a retry with the
// same key is safe (the ingest takes a command's event produced twice as a
// duplicate). Produced but not in the log within the timeout (the engine is
// catching up): 202 {"event_id", "status":"accepted"}: a retry with the same
// key answers 201 once it is.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "connectors/command_producer.h"
#include "connectors/query_service.h"
#include "engine/action_link.h"
#include "engine/command_desk.h"
#include "engine/event_log.h"

namespace carelog {

class CommandService {
 public:
  // `producer`: null when the ingest appends commands itself (file source).
  CommandService(const EventLog& log, CommandDesk& desk, const QueryService& queries,
                 CommandProducer* producer, std::chrono::milliseconds timeout);

  QueryResponse execute(Command command) const;

  // Signed action links (engine/action_link.h): set once, before serving.
  void set_action_links(std::shared_ptr<const ActionLinkSigner> links) {
    links_ = std::move(links);
  }
  bool serves_action_links() const { return links_ != nullptr; }
  // GET /v1/actions/{token}: what the link does ({"action", "seller_id",
  // "return_id" or "message_id", "expires_at", "used"}); 403 when it does
  // not verify (altered, or signed with another secret) or has expired.
  QueryResponse describe_link(const std::string& token) const;
  // POST /v1/actions/{token}: carries the link's command out, with the
  // members of `body` (a close's reason, a reply's body), as execute();
  // 403 as above, and once it was used (its event is in the log).
  QueryResponse execute_link(const std::string& token, const std::string& body,
                             const std::string& request_id) const;
  // The link `token` says, verified and not expired; else `refused` holds the 403.
  std::optional<ActionLink> valid_link(const std::string& token, QueryResponse& refused) const;

 private:
  // The 201/200 answer for the command's event at (partition, seq).
  QueryResponse answer_logged(const Command& command, uint32_t partition, uint64_t seq) const;

  const EventLog& log_;
  CommandDesk& desk_;
  const QueryService& queries_;
  CommandProducer* producer_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<const ActionLinkSigner> links_;

  // The command a link carries (its event id derived from the link's nonce).
  static Command link_command(const ActionLink& link);
};

}  // namespace carelog
