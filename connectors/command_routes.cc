#include "connectors/command_routes.h"

#include <httplib.h>
#include <sodium.h>

#include <charconv>
#include <chrono>
#include <optional>

namespace carelog {
namespace {

void send(httplib::Response& res, const QueryResponse& q) {
  res.status = q.status;
  res.set_content(q.body, "application/json");
}

bool printable_ascii(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string random_request_id() {
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  static const char* digits = "0123456789abcdef";
  std::string id = "req-";
  for (unsigned char b : bytes) {
    id.push_back(digits[b >> 4]);
    id.push_back(digits[b & 15]);
  }
  return id;
}

// An If-Match value: the version a row showed, as 17 or "17".
std::optional<uint64_t> parse_version(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  uint64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return out;
}

// Reads what every command shares from the request; false when it answered.
bool read_request(const httplib::Request& req, httplib::Response& res, Command& c) {
  const std::string type = req.get_header_value("Content-Type");
  if (type.rfind("application/json", 0) != 0) {
    send(res, {415, error_json("unsupported_media_type",
                               "a command's body must be sent as application/json")});
    return false;
  }
  if (!req.params.empty()) {
    send(res,
         {400, error_json("bad_parameter", "unknown parameter '" + req.params.begin()->first + "'",
                          req.params.begin()->first)});
    return false;
  }
  if (req.has_header("If-Match")) {
    c.expected_version = parse_version(req.get_header_value("If-Match"));
    if (!c.expected_version) {
      send(res, {400, error_json("bad_parameter",
                                 "If-Match must be a row's version: digits, quoted or not",
                                 "If-Match")});
      return false;
    }
  }
  const std::string key = req.get_header_value("Idempotency-Key");
  if (req.has_header("Idempotency-Key") && !printable_ascii(key, 255)) {
    send(res, {400, error_json("bad_parameter",
                               "Idempotency-Key must be 1..255 printable ASCII characters",
                               "Idempotency-Key")});
    return false;
  }
  c.request_id = req.get_header_value("X-Request-Id");
  if (req.has_header("X-Request-Id") && !printable_ascii(c.request_id, 128)) {
    send(res,
         {400, error_json("bad_parameter", "X-Request-Id must be 1..128 printable ASCII characters",
                          "X-Request-Id")});
    return false;
  }
  if (c.request_id.empty()) c.request_id = random_request_id();
  res.set_header("X-Request-Id", c.request_id);
  if (auto refused = read_command_body(req.body, c)) {
    send(res, {refused->status,
               error_json(refused->why.code, refused->why.message, refused->why.field)});
    return false;
  }
  c.event_id = command_event_id(c.seller_id, key);
  c.request_digest = command_request_digest(c.kind, c.target, req.body);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  c.now_micros = std::chrono::duration_cast<std::chrono::milliseconds>(now).count() * 1000;
  return true;
}

CommandKind kind_named(const std::string& name) {
  if (name == "reply") return CommandKind::kReply;
  if (name == "no-response-needed") return CommandKind::kNoResponseNeeded;
  if (name == "authorize") return CommandKind::kAuthorize;
  if (name == "close") return CommandKind::kClose;
  if (name == "refunds") return CommandKind::kRefund;
  return CommandKind::kReturnSettings;
}

}  // namespace

void add_command_routes(httplib::Server& srv, const CommandService& commands, ActFor act_for,
                        RoutedHere routed_here) {
  // (seller, target or "", command name)
  auto handler = [&commands, act_for, routed_here](int target_group, int name_group) {
    return [&commands, act_for, routed_here, target_group, name_group](const httplib::Request& req,
                                                                       httplib::Response& res) {
      const std::string seller = req.matches[1];
      act_for(req, res, seller, [&](const std::string& acted_by) {
        if (!routed_here(req, res, seller)) return;
        Command c;
        c.kind = kind_named(req.matches[name_group]);
        c.seller_id = seller;
        if (target_group > 0) c.target = req.matches[target_group];
        c.acted_by = acted_by;
        if (!read_request(req, res, c)) return;
        send(res, commands.execute(std::move(c)));
      });
    };
  };
  const std::string messages = R"(/v1/sellers/([^/]+)/messages/([^/]+)/(reply|no-response-needed))";
  const std::string returns = R"(/v1/sellers/([^/]+)/returns/([^/]+)/(authorize|close))";
  const std::string refunds = R"(/v1/sellers/([^/]+)/(refunds))";
  const std::string settings = R"(/v1/sellers/([^/]+)/(return-settings)/([^/]+))";
  srv.Post(messages, handler(2, 3));
  srv.Post(returns, handler(2, 3));
  srv.Post(refunds, handler(0, 2));
  srv.Put(settings, handler(3, 2));
  // A command's path asked with another method: 405 naming the one it takes.
  auto not_allowed = [](std::string allow) {
    return [allow](const httplib::Request&, httplib::Response& res) {
      res.set_header("Allow", allow);
      send(res, {405, error_json("method_not_allowed", "this endpoint takes " + allow)});
    };
  };
  for (const std::string& path : {messages, returns, refunds}) {
    srv.Get(path, not_allowed("POST"));
    srv.Put(path, not_allowed("POST"));
    srv.Delete(path, not_allowed("POST"));
    srv.Patch(path, not_allowed("POST"));
  }
  srv.Post(settings, not_allowed("PUT"));
  srv.Delete(settings, not_allowed("PUT"));
  srv.Patch(settings, not_allowed("PUT"));
}

void add_action_link_routes(httplib::Server& srv, const CommandService& commands,
                            RoutedHere routed_here) {
  const std::string path = R"(/v1/actions/([A-Za-z0-9_.-]{1,2048}))";
  // Runs `answer` for a link that verifies, on the member serving its seller.
  auto with_link = [&commands, routed_here](
                       const httplib::Request& req, httplib::Response& res,
                       const std::function<QueryResponse(const std::string&)>& answer) {
    const std::string token = req.matches[1];
    QueryResponse refused;
    std::optional<ActionLink> link = commands.valid_link(token, refused);
    if (!link) return send(res, refused);
    if (!routed_here(req, res, link->seller_id)) return;
    if (!req.params.empty()) {
      return send(res, {400, error_json("bad_parameter",
                                        "unknown parameter '" + req.params.begin()->first + "'",
                                        req.params.begin()->first)});
    }
    send(res, answer(token));
  };
  srv.Get(path, [&commands, with_link](const httplib::Request& req, httplib::Response& res) {
    with_link(req, res, [&](const std::string& token) { return commands.describe_link(token); });
  });
  srv.Post(path, [&commands, with_link](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      return send(res, {415, error_json("unsupported_media_type",
                                        "a command's body must be sent as application/json")});
    }
    std::string request_id = req.get_header_value("X-Request-Id");
    if (!printable_ascii(request_id, 128)) request_id = random_request_id();
    res.set_header("X-Request-Id", request_id);
    with_link(req, res, [&](const std::string& token) {
      return commands.execute_link(token, req.body, request_id);
    });
  });
}

}  // namespace carelog
