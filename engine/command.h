// A seller's command (spec/commands.md): reply to a message, mark it as
// needing no response, authorize or close a return, issue a refund, change
// a marketplace's return settings. A command becomes exactly one event, and
// only if that event passes the rules an ingested one would: the field rules
// (events/json_decoder.h) and the domain rules (domain_rules.h) against the
// seller's current state.
//
// Its event id is "cmd:" + 32 hex digits: a digest of the seller and the
// client's idempotency key when there is one (so a retry names the same
// event), random otherwise. The event's data records who acted (`acted_by`,
// `request_id`) and `request_digest`, a digest of the request (route and
// body): a second request with the same key and the same digest is the same
// command, with another digest a misuse of the key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "events/rejection.h"
#include "projections/seller_projection.h"

namespace carelog {

enum class CommandKind : uint8_t {
  kReply,
  kNoResponseNeeded,
  kAuthorize,
  kClose,
  kRefund,
  kReturnSettings
};

// The route's name ("reply", "no-response-needed", "authorize", "close",
// "refund", "return-settings").
std::string_view to_string(CommandKind kind);

struct Command {
  CommandKind kind = CommandKind::kReply;
  std::string seller_id;
  // The message id (reply, no-response-needed), the return id (authorize,
  // close) or the marketplace (return-settings); "" for a refund.
  std::string target;
  // The request body's members, each as its JSON text, in body order.
  std::vector<std::pair<std::string, std::string>> fields;
  std::string event_id;  // "cmd:" + 32 hex digits
  std::string acted_by;  // the token's seller id, or "admin"
  std::string request_id;
  std::string request_digest;  // 32 hex digits
  int64_t now_micros = 0;      // the engine's clock at acceptance, whole milliseconds
  // If-Match: the version of the row acted on that the seller saw (the
  // message's or the return's, as its listing shows it); another one
  // refuses the command (409 version_conflict).
  std::optional<uint64_t> expected_version;
};

// Why a command is refused: the HTTP status, and the rule broken (its code,
// the body member or path segment at fault, a message for the seller).
struct CommandRefusal {
  int status = 422;
  Rejection why;
};

// Reads a request body (a JSON object; empty: no member) into
// `command.fields`, refusing a member the command does not take.
std::optional<CommandRefusal> read_command_body(std::string_view body, Command& command);

inline bool is_command_event_id(std::string_view event_id) { return event_id.starts_with("cmd:"); }

// "cmd:" + the digest of seller and key (random when `idempotency_key` is empty).
std::string command_event_id(std::string_view seller_id, std::string_view idempotency_key);
// The digest of what a request asks: kind, target and body.
std::string command_request_digest(CommandKind kind, std::string_view target,
                                   std::string_view body);
// The request_digest an envelope's data records, if any.
std::optional<std::string> recorded_request_digest(std::string_view envelope);

// The command's envelope, filled from the seller's projection (null: the
// seller has none): the thread and order of the message replied to, the
// marketplace of the message, return or order, the RMA and return address
// an authorization takes by default, the current settings a settings change
// does not name. The envelope is not validated here: the caller decodes it
// with the ingest's decoder and checks the domain rules.
std::variant<std::string, CommandRefusal> build_command_envelope(const Command& command,
                                                                 const SellerProjection* seller);

// The id of the row a command acts on: its target, or the return a refund
// names ("" for a refund of an order alone).
std::string command_row_id(const Command& command);

// The HTTP status of a rule's rejection of a command: 404 for an unknown
// entity, 409 for a state that forbids it, 422 for the rest (field rules,
// refund_exceeds_paid). `field`: the rejection's path without "data.".
CommandRefusal refusal_of(Rejection why);

}  // namespace carelog
