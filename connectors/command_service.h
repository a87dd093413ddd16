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

#include "connectors/command_producer.h"
#include "connectors/query_service.h"
#include "engine/command_desk.h"
#include "engine/event_log.h"

namespace carelog {

class CommandService {
 public:
  // `producer`: null when the ingest appends commands itself (file source).
  CommandService(const EventLog& log, CommandDesk& desk, const QueryService& queries,
                 CommandProducer* producer, std::chrono::milliseconds timeout);

  QueryResponse execute(Command command) const;

 private:
  // The 201/200 answer for the command's event at (partition, seq).
  QueryResponse answer_logged(const Command& command, uint32_t partition, uint64_t seq) const;

  const EventLog& log_;
  CommandDesk& desk_;
  const QueryService& queries_;
  CommandProducer* producer_;
  std::chrono::milliseconds timeout_;
};

}  // namespace carelog
