#include "cli/seller_commands.h"

#include <httplib.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>

#include "events/json_encoder.h"

namespace carelog {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

}  // namespace

SellerCommandsCli::SellerCommandsCli(CLI::App& app) {
  auto* message =
      app.add_subcommand("message", "act on a buyer's message through a running engine");
  auto* ret = app.add_subcommand("return", "act on a return request through a running engine");
  auto* refund = app.add_subcommand("refund", "refund an order through a running engine");
  auto* settings =
      app.add_subcommand("settings", "change a seller's settings through a running engine");
  for (CLI::App* group : {message, ret, refund, settings}) group->require_subcommand(1);

  Route& reply = add(*message, "reply", "« Répondre »: reply in the message's thread", "POST",
                     "/v1/sellers/{seller}/messages/{message}/reply");
  reply.app->add_option("--message", message_, "the received message's id")->required();
  member(reply, "--body", "body", "the reply, 1..4000 characters", false, true);
  member(reply, "--subject", "subject", "its subject");

  Route& none =
      add(*message, "no-response-needed", "« Marquer comme ne nécessitant pas de réponse »", "POST",
          "/v1/sellers/{seller}/messages/{message}/no-response-needed");
  none.app->add_option("--message", message_, "the received message's id")->required();

  Route& authorize = add(*ret, "authorize", "« Autoriser la demande »", "POST",
                         "/v1/sellers/{seller}/returns/{return}/authorize");
  authorize.app->add_option("--return", return_, "the return id")->required();
  member(authorize, "--rma", "rma", "the RMA (default: derived from the return id)");
  member(authorize, "--label", "label", "unpaid, prepaid or none (default: unpaid)");
  member(authorize, "--address", "return_address",
         "the return address as JSON (default: the marketplace's configured one)", true);

  Route& close = add(*ret, "close", "« Fermer la demande »", "POST",
                     "/v1/sellers/{seller}/returns/{return}/close");
  close.app->add_option("--return", return_, "the return id")->required();
  member(close, "--reason", "close_reason", "one of the seed's 11 close reasons (spec/events.md)",
         false, true);
  member(close, "--message", "message", "a message to the buyer, at most 1000 characters");

  Route& issue =
      add(*refund, "issue", "« Émettre un remboursement »", "POST", "/v1/sellers/{seller}/refunds");
  member(issue, "--order", "order_id", "the order id", false, true);
  member(issue, "--return", "return_id", "the return it refunds, if any");
  member(issue, "--kind", "refund_kind", "full or partial", false, true);
  member(issue, "--reason", "reason", "why");
  issue.app->add_option("--amount", amount_, "the amount, e.g. 9.90")->required();
  issue.app->add_option("--currency", currency_, "the order's currency, e.g. EUR")->required();

  Route& returns = add(*settings, "returns", "the automated-returns settings of one marketplace",
                       "PUT", "/v1/sellers/{seller}/return-settings/{marketplace}");
  returns.app->add_option("--marketplace", marketplace_, "the marketplace, e.g. FR")->required();
  member(returns, "--auto-authorize", "auto_authorize", "off, policy or all");
  member(returns, "--window-days", "return_window_days", "the return window in days, 1..365", true);
  member(returns, "--address", "return_address", "the return address as JSON", true);
  member(returns, "--email-action-links", "email_action_links", "true or false", true);
}

SellerCommandsCli::Route& SellerCommandsCli::add(CLI::App& parent, const std::string& name,
                                                 const std::string& help, std::string method,
                                                 std::string path) {
  auto route = std::make_unique<Route>();
  route->app = parent.add_subcommand(name, help);
  route->method = std::move(method);
  route->path = std::move(path);
  CLI::App* app = route->app;
  app->add_option("--seller", seller_, "the seller id")->required();
  app->add_option("--engine", engine_,
                  "the engine's API (env CARELOG_ENGINE, default http://127.0.0.1:8080)");
  app->add_option("--token", token_, "bearer token (env CARELOG_TOKEN)");
  app->add_option("--ca", ca_, "the certificate to trust (HTTPS)");
  app->add_option("--idempotency-key", key_,
                  "retrying with the same key carries the command out once");
  routes_.push_back(std::move(route));
  return *routes_.back();
}

void SellerCommandsCli::member(Route& route, const std::string& flag, const std::string& name,
                               const std::string& help, bool json, bool required) {
  CLI::Option* option = route.app->add_option(flag, values_[name], help);
  if (required) option->required();
  route.members.push_back(Member{option, name, json});
}

std::optional<int> SellerCommandsCli::run_if_parsed() {
  for (const auto& route : routes_) {
    if (route->app->parsed()) return send(*route);
  }
  return std::nullopt;
}

int SellerCommandsCli::send(const Route& route) {
  std::string body = "{";
  auto add_member = [&](const std::string& name, const std::string& value, bool json) {
    if (body.size() > 1) body += ',';
    append_json_string(body, name);
    body += ':';
    if (json) {
      body += value;
    } else {
      append_json_string(body, value);
    }
  };
  for (const Member& m : route.members) {
    if (m.option->count() > 0) add_member(m.name, values_[m.name], m.json);
  }
  if (!amount_.empty()) {
    std::string amount = "{\"amount\":";
    append_json_string(amount, amount_);
    amount += ",\"currency\":";
    append_json_string(amount, currency_);
    add_member("amount", amount + "}", true);
  }
  body += '}';

  std::string path = route.path;
  replace_all(path, "{seller}", httplib::detail::encode_query_param(seller_));
  replace_all(path, "{message}", httplib::detail::encode_query_param(message_));
  replace_all(path, "{return}", httplib::detail::encode_query_param(return_));
  replace_all(path, "{marketplace}", httplib::detail::encode_query_param(marketplace_));
  const std::string engine =
      engine_.empty() ? env_or("CARELOG_ENGINE", "http://127.0.0.1:8080") : engine_;
  const std::string token = token_.empty() ? env_or("CARELOG_TOKEN", "") : token_;
  httplib::Client client(engine);
  if (!ca_.empty()) client.set_ca_cert_path(ca_.c_str());
  client.set_read_timeout(310, 0);  // past the engine's longest command timeout
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  if (!key_.empty()) headers.emplace("Idempotency-Key", key_);
  auto res = route.method == "PUT" ? client.Put(path, headers, body, "application/json")
                                   : client.Post(path, headers, body, "application/json");
  if (!res) {
    std::fprintf(stderr, "carelog: no answer from the engine at %s (%s)\n", engine.c_str(),
                 httplib::to_string(res.error()).c_str());
    return 1;
  }
  if (res->status >= 200 && res->status < 300) {
    std::printf("%s\n", res->body.c_str());
    return 0;
  }
  // {"error":{"code","field"?,"message"}}: said as such.
  simdjson::dom::parser parser;
  simdjson::dom::element error;
  std::string_view code, message, field;
  if (!parser.parse(res->body).get(error) && !error["error"]["code"].get_string().get(code) &&
      !error["error"]["message"].get_string().get(message)) {
    if (error["error"]["field"].get_string().get(field)) field = {};  // (none)
    std::fprintf(stderr, "carelog: %d %.*s%s%.*s: %.*s\n", res->status,
                 static_cast<int>(code.size()), code.data(), field.empty() ? "" : " ",
                 static_cast<int>(field.size()), field.data(), static_cast<int>(message.size()),
                 message.data());
  } else {
    std::fprintf(stderr, "carelog: %d %s\n", res->status, res->body.c_str());
  }
  return 1;
}

}  // namespace carelog
