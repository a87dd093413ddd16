#include "engine/command.h"

#include <simdjson.h>
#include <sodium.h>

#include <array>

#include "engine/hash_chain.h"
#include "engine/returns_automation.h"
#include "events/json_encoder.h"
#include "projections/seller_queries.h"

namespace carelog {
namespace {

// The body members each command takes.
std::vector<std::string_view> members_of(CommandKind kind) {
  switch (kind) {
    case CommandKind::kReply:
      return {"body", "subject"};
    case CommandKind::kNoResponseNeeded:
      return {};
    case CommandKind::kAuthorize:
      return {"rma", "return_address", "label"};
    case CommandKind::kClose:
      return {"close_reason", "message"};
    case CommandKind::kRefund:
      return {"order_id", "return_id", "amount", "refund_kind", "reason"};
    case CommandKind::kReturnSettings:
      return {"auto_authorize", "return_window_days", "return_address", "email_action_links"};
  }
  return {};
}

CommandRefusal refuse(int status, const char* code, std::string field, std::string message) {
  return CommandRefusal{status, Rejection{code, std::move(field), std::move(message)}};
}

const std::string* field_of(const Command& c, std::string_view name) {
  for (const auto& [k, v] : c.fields) {
    if (k == name) return &v;
  }
  return nullptr;
}

// The string a member holds; nullopt when absent; a refusal when not a string.
std::variant<std::optional<std::string>, CommandRefusal> string_member(const Command& c,
                                                                       std::string_view name) {
  const std::string* raw = field_of(c, name);
  if (!raw) return std::optional<std::string>();
  thread_local simdjson::dom::parser parser;
  std::string_view value;
  if (parser.parse(*raw).get_string().get(value)) {
    return refuse(422, reject::kWrongType, std::string(name),
                  std::string(name) + " must be a string");
  }
  return std::optional<std::string>(std::string(value));
}

// Writes an envelope: the common members, then data's members, then who acted.
class EnvelopeWriter {
 public:
  EnvelopeWriter(const Command& c, std::string_view type, std::string_view marketplace) : c_(c) {
    out_ = "{\"event_id\":";
    append_json_string(out_, c.event_id);
    out_ += ",\"type\":";
    append_json_string(out_, type);
    out_ += ",\"occurred_at\":";
    append_json_string(out_, format_rfc3339(Timestamp{c.now_micros, 0}));
    out_ += ",\"seller_id\":";
    append_json_string(out_, c.seller_id);
    out_ += ",\"marketplace\":";
    append_json_string(out_, marketplace);
    out_ += ",\"schema_version\":1,\"data\":{";
  }
  void str(std::string_view name, std::string_view value) { append_json_string(key(name), value); }
  void raw(std::string_view name, std::string_view json) { key(name) += json; }
  // The body's member `name`, when given.
  void member(std::string_view name) {
    if (const std::string* v = field_of(c_, name)) raw(name, *v);
  }
  std::string finish() {
    str("acted_by", c_.acted_by);
    str("request_id", c_.request_id);
    str("request_digest", c_.request_digest);
    out_ += "}}";
    return std::move(out_);
  }

 private:
  std::string& key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    append_json_string(out_, name);
    out_ += ':';
    return out_;
  }
  const Command& c_;
  std::string out_;
  bool first_ = true;
};

// The id of an entity the command creates: its kind and the event id's digest.
std::string new_entity_id(const Command& c, std::string_view kind) {
  return std::string(kind) + "-" + c.event_id.substr(4);
}

using Built = std::variant<std::string, CommandRefusal>;

// The If-Match check against the row's current version.
std::optional<CommandRefusal> stale(const Command& c, uint64_t current) {
  if (!c.expected_version || *c.expected_version == current) return std::nullopt;
  return refuse(409, "version_conflict", "If-Match",
                "the row is at version " + std::to_string(current) + ", not " +
                    std::to_string(*c.expected_version) + ": it changed since it was read");
}
// If-Match on a command whose row has no version.
std::optional<CommandRefusal> unversioned(const Command& c, const std::string& what) {
  if (!c.expected_version) return std::nullopt;
  return refuse(400, "bad_parameter", "If-Match", what + " carries no version: send no If-Match");
}

Built unknown_message(const Command& c) {
  return refuse(404, reject::kUnknownMessage, "message_id",
                "the seller has no received message " + c.target);
}
Built unknown_return(const Command& c) {
  return refuse(404, reject::kUnknownReturn, "return_id", "the seller has no return " + c.target);
}

// The received message a command names and its marketplace: its own, or
// its order's (rows written before messages kept theirs).
struct ReceivedTarget {
  const StoredMessage* message = nullptr;
  std::string marketplace;
};
std::variant<ReceivedTarget, CommandRefusal> received_target(const Command& c,
                                                             const SellerProjection* s) {
  const StoredMessage* m = s ? s->received_message(c.target) : nullptr;
  if (!m) return std::get<CommandRefusal>(unknown_message(c));
  if (auto refused = stale(c, message_version(*s, *m))) return *refused;
  if (!m->row.marketplace.empty()) return ReceivedTarget{m, m->row.marketplace};
  if (m->row.order_id) {
    if (const OrderFacts* o = s->order(*m->row.order_id)) return ReceivedTarget{m, o->marketplace};
  }
  return refuse(
      422, "marketplace_unknown", "message_id",
      "the marketplace of message " + c.target + " is not known; rebuild the projections");
}

Built build_reply(const Command& c, const SellerProjection* s) {
  auto target = received_target(c, s);
  if (auto* refused = std::get_if<CommandRefusal>(&target)) return *refused;
  const auto& [m, marketplace] = std::get<ReceivedTarget>(target);
  EnvelopeWriter w(c, "message.sent", marketplace);
  w.str("message_id", new_entity_id(c, "reply"));
  w.str("thread_id", m->row.thread_id);
  w.str("in_reply_to", c.target);
  if (m->row.order_id) w.str("order_id", *m->row.order_id);
  w.member("subject");
  w.member("body");
  w.str("sender", "seller");
  return w.finish();
}

Built build_no_response_needed(const Command& c, const SellerProjection* s) {
  auto target = received_target(c, s);
  if (auto* refused = std::get_if<CommandRefusal>(&target)) return *refused;
  EnvelopeWriter w(c, "message.no_response_needed", std::get<ReceivedTarget>(target).marketplace);
  w.str("message_id", c.target);
  return w.finish();
}

Built build_authorize(const Command& c, const SellerProjection* s) {
  const return_rows::ReturnRow* r = s ? s->return_request(c.target) : nullptr;
  if (!r) return unknown_return(c);
  if (auto refused = stale(c, r->version)) return *refused;
  EnvelopeWriter w(c, "return.authorized", r->marketplace);
  w.str("return_id", c.target);
  if (field_of(c, "rma")) {
    w.member("rma");
  } else {
    w.str("rma", derived_rma(c.target));  // as the automatic authorizations make it
  }
  if (field_of(c, "return_address")) {
    w.member("return_address");
  } else {
    const ReturnSettings* settings = s->latest_settings(r->marketplace);
    if (!settings || !address_usable(settings->return_address)) {
      return refuse(
          422, "return_address_missing", "return_address",
          "no return address given, and none is configured for marketplace " + r->marketplace);
    }
    std::string address;
    append_address_json(address, settings->return_address);
    w.raw("return_address", address);
  }
  if (field_of(c, "label")) {
    w.member("label");
  } else {
    w.str("label", "unpaid");
  }
  w.str("authorized_by", "seller");
  return w.finish();
}

Built build_close(const Command& c, const SellerProjection* s) {
  const return_rows::ReturnRow* r = s ? s->return_request(c.target) : nullptr;
  if (!r) return unknown_return(c);
  if (auto refused = stale(c, r->version)) return *refused;
  EnvelopeWriter w(c, "return.closed", r->marketplace);
  w.str("return_id", c.target);
  w.member("close_reason");
  w.member("message");
  w.str("closed_by", "seller");
  return w.finish();
}

Built build_refund(const Command& c, const SellerProjection* s) {
  auto order_id = string_member(c, "order_id");
  if (auto* bad = std::get_if<CommandRefusal>(&order_id)) return *bad;
  const auto& id = std::get<std::optional<std::string>>(order_id);
  if (!id) return refuse(422, reject::kMissingField, "order_id", "order_id is required");
  const OrderFacts* order = s ? s->order(*id) : nullptr;
  if (!order)
    return refuse(404, reject::kUnknownOrder, "order_id", "the seller has no order " + *id);
  if (c.expected_version) {  // the return refunded is the row
    auto return_id = string_member(c, "return_id");
    if (auto* bad = std::get_if<CommandRefusal>(&return_id)) return *bad;
    const auto& rid = std::get<std::optional<std::string>>(return_id);
    if (!rid) return *unversioned(c, "a refund of an order alone");
    const return_rows::ReturnRow* r = s->return_request(*rid);
    if (!r)
      return refuse(404, reject::kUnknownReturn, "return_id", "the seller has no return " + *rid);
    if (auto refused = stale(c, r->version)) return *refused;
  }
  EnvelopeWriter w(c, "refund.issued", order->marketplace);
  w.str("refund_id", new_entity_id(c, "refund"));
  w.member("order_id");
  w.member("return_id");
  w.member("amount");
  w.member("refund_kind");
  w.member("reason");
  return w.finish();
}

Built build_return_settings(const Command& c, const SellerProjection* s) {
  // The members not given keep their current value (the spec's defaults
  // when the marketplace has none; a return address has no default).
  if (auto refused = unversioned(c, "a settings change")) return *refused;
  const ReturnSettings* current = s ? s->latest_settings(c.target) : nullptr;
  const ReturnSettings defaults;
  const ReturnSettings& base = current ? *current : defaults;
  EnvelopeWriter w(c, "seller.return_settings_changed", c.target);
  auto take = [&](std::string_view name, const std::string& current_json) {
    if (field_of(c, name)) {
      w.member(name);
    } else if (!current_json.empty()) {
      w.raw(name, current_json);
    }
  };
  std::string auto_authorize;
  append_json_string(auto_authorize, to_string(base.auto_authorize));
  take("auto_authorize", auto_authorize);
  take("return_window_days", std::to_string(base.return_window_days));
  std::string address;
  if (current) append_address_json(address, base.return_address);
  take("return_address", address);
  take("email_action_links", base.email_action_links ? "true" : "false");
  return w.finish();
}

}  // namespace

std::string_view to_string(CommandKind kind) {
  switch (kind) {
    case CommandKind::kReply:
      return "reply";
    case CommandKind::kNoResponseNeeded:
      return "no-response-needed";
    case CommandKind::kAuthorize:
      return "authorize";
    case CommandKind::kClose:
      return "close";
    case CommandKind::kRefund:
      return "refund";
    case CommandKind::kReturnSettings:
      return "return-settings";
  }
  return "?";
}

std::optional<CommandRefusal> read_command_body(std::string_view body, Command& command) {
  command.fields.clear();
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::nullopt;  // no body: no member
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc)) {
    return refuse(400, reject::kInvalidJson, "", "the request body is not JSON");
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object)) {
    return refuse(400, reject::kNotObject, "", "the request body must be a JSON object");
  }
  const auto allowed = members_of(command.kind);
  for (auto [key, value] : object) {
    bool known = false;
    for (std::string_view name : allowed) known = known || name == key;
    if (!known) {
      return refuse(422, "unknown_field", std::string(key),
                    "'" + std::string(key) + "' is not a member of a " +
                        std::string(to_string(command.kind)) + " command");
    }
    if (field_of(command, key)) {
      return refuse(422, reject::kDuplicateKey, std::string(key),
                    "'" + std::string(key) + "' is given twice");
    }
    command.fields.emplace_back(std::string(key), simdjson::minify(value));
  }
  return std::nullopt;
}

std::string command_event_id(std::string_view seller_id, std::string_view idempotency_key) {
  std::array<unsigned char, 16> digest{};
  if (idempotency_key.empty()) {
    randombytes_buf(digest.data(), digest.size());
  } else {
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, digest.size());
    // Length-prefixed, so that no two (seller, key) pairs hash the same bytes.
    const uint64_t n = seller_id.size();
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(seller_id.data()),
                              seller_id.size());
    crypto_generichash_update(&state,
                              reinterpret_cast<const unsigned char*>(idempotency_key.data()),
                              idempotency_key.size());
    crypto_generichash_final(&state, digest.data(), digest.size());
  }
  return "cmd:" + to_hex(digest.data(), digest.size());
}

std::string command_request_digest(CommandKind kind, std::string_view target,
                                   std::string_view body) {
  std::array<unsigned char, 16> digest{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, digest.size());
  for (std::string_view part : {to_string(kind), target, body}) {
    const uint64_t n = part.size();
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(part.data()),
                              part.size());
  }
  crypto_generichash_final(&state, digest.data(), digest.size());
  return to_hex(digest.data(), digest.size());
}

std::optional<std::string> recorded_request_digest(std::string_view envelope) {
  thread_local simdjson::dom::parser parser;
  std::string_view digest;
  if (parser.parse(envelope.data(), envelope.size())["data"]["request_digest"].get_string().get(
          digest)) {
    return std::nullopt;
  }
  return std::string(digest);
}

std::variant<std::string, CommandRefusal> build_command_envelope(const Command& command,
                                                                 const SellerProjection* seller) {
  switch (command.kind) {
    case CommandKind::kReply:
      return build_reply(command, seller);
    case CommandKind::kNoResponseNeeded:
      return build_no_response_needed(command, seller);
    case CommandKind::kAuthorize:
      return build_authorize(command, seller);
    case CommandKind::kClose:
      return build_close(command, seller);
    case CommandKind::kRefund:
      return build_refund(command, seller);
    case CommandKind::kReturnSettings:
      return build_return_settings(command, seller);
  }
  return refuse(400, "bad_command", "", "unknown command");
}

std::string command_row_id(const Command& command) {
  if (command.kind != CommandKind::kRefund) return command.target;
  auto return_id = string_member(command, "return_id");
  auto* id = std::get_if<std::optional<std::string>>(&return_id);
  return id && *id ? **id : "";
}

CommandRefusal refusal_of(Rejection why) {
  static constexpr std::string_view kNotFound[] = {reject::kUnknownOrder, reject::kUnknownMessage,
                                                   reject::kUnknownReturn, reject::kUnknownClaim};
  static constexpr std::string_view kConflict[] = {
      reject::kReturnTerminal, reject::kReturnAlreadyActed, reject::kAlreadyAuthorized,
      reject::kOrderState,     reject::kClaimDecided,       reject::kDuplicateEntity,
      reject::kIdConflict,     "version_conflict"};
  int status = 422;
  for (std::string_view code : kNotFound) {
    if (why.code == code) status = 404;
  }
  for (std::string_view code : kConflict) {
    if (why.code == code) status = 409;
  }
  if (why.field.rfind("data.", 0) == 0) why.field.erase(0, 5);
  return CommandRefusal{status, std::move(why)};
}

}  // namespace carelog
