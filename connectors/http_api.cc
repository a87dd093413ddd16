#include "connectors/http_api.h"
#include "connectors/command_routes.h"
#include "connectors/rate_limiter.h"
#include "projections/json_out.h"

#include <httplib.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <mutex>
#include <vector>

namespace carelog {
namespace {

using TokenHash = std::array<unsigned char, 32>;

TokenHash hash_token(std::string_view token) {
  TokenHash h;
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  return h;
}

struct Access {
  bool admin = false;
  std::string seller;  // when a seller token
};

class Authenticator {
 public:
  explicit Authenticator(const HttpOptions& o) {
    for (const auto& t : o.admin_tokens) admin_.push_back(hash_token(t));
    for (const auto& [seller, t] : o.seller_tokens) sellers_.push_back({hash_token(t), seller});
  }
  bool enabled() const { return !admin_.empty() || !sellers_.empty(); }
  // nullopt: no valid token.
  std::optional<Access> check(const httplib::Request& req) const {
    std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (header.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    TokenHash h = hash_token(std::string_view(header).substr(prefix.size()));
    std::optional<Access> found;
    // Compare against every token (constant time each, no early exit).
    for (const auto& a : admin_) {
      if (sodium_memcmp(a.data(), h.data(), h.size()) == 0) found = Access{true, ""};
    }
    for (const auto& [t, seller] : sellers_) {
      if (sodium_memcmp(t.data(), h.data(), h.size()) == 0 && !found) found = Access{false, seller};
    }
    return found;
  }

 private:
  std::vector<TokenHash> admin_;
  std::vector<std::pair<TokenHash, std::string>> sellers_;
};

void send(httplib::Response& res, const QueryResponse& q) {
  res.status = q.status;
  res.set_content(q.body, "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  send(res, {status, error_json(code, message)});
}

// Admin POSTs must carry X-Carelog-Admin: a page in a browser cannot send it
// to another origin without a CORS preflight, which this server never
// grants, so a web page cannot make a browser rebuild or erase (even when
// no token is configured).
bool admin_header_present(const httplib::Request& req, httplib::Response& res) {
  if (req.has_header("X-Carelog-Admin")) return true;
  send_error(res, 403, "forbidden", "admin requests need the X-Carelog-Admin header");
  return false;
}

// Query parameters as a map; a repeated parameter is a 400.
bool params_of(const httplib::Request& req, httplib::Response& res, QueryParams& out) {
  for (const auto& [k, v] : req.params) {
    if (!out.emplace(k, v).second) {
      send_error(res, 400, "bad_parameter", "parameter '" + k + "' given more than once");
      return false;
    }
  }
  return true;
}

// Every '%' starts two hex digits.
bool valid_percent_encoding(std::string_view target) {
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] != '%') continue;
    if (i + 2 >= target.size() || !std::isxdigit(static_cast<unsigned char>(target[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(target[i + 2]))) {
      return false;
    }
    i += 2;
  }
  return true;
}

// The address only this machine reaches (a name is resolved the same way
// by every resolver here: "localhost").
bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

}  // namespace

Status HttpApi::start(const HttpOptions& options, const QueryService& queries, EngineMetrics& metrics,
                      std::function<bool()> ready, std::unique_ptr<HttpApi>& out, const AdminHooks& admin,
                      const ClusterView* cluster, const CommandService* commands) {
  RebuildService* rebuild = admin.rebuild;
  if (sodium_init() < 0) return Status::Error("libsodium failed to initialise");
  auto colon = options.listen.rfind(':');
  if (colon == std::string::npos) return Status::Error("http: expected HOST:PORT, got '" + options.listen + "'");
  std::string host = options.listen.substr(0, colon);
  const std::string port_text = options.listen.substr(colon + 1);
  int port = -1;
  auto [port_end, port_ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || port_ec != std::errc() || port_end != port_text.data() + port_text.size() || port < 0 ||
      port > 65535) {
    return Status::Error("http: the port must be a number in 0..65535, got '" + port_text + "'");
  }

  std::unique_ptr<HttpApi> api(new HttpApi());
  const bool tls = !options.tls_cert.empty() || !options.tls_key.empty();
  if (tls) {
    if (options.tls_cert.empty() || options.tls_key.empty()) {
      return Status::Error("http: HTTPS needs both a certificate and a key");
    }
    auto ssl = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!ssl->is_valid()) {
      return Status::Error("http: cannot load the TLS certificate " + options.tls_cert + " and key " +
                           options.tls_key);
    }
    api->server_ = std::move(ssl);
  } else {
    api->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& srv = *api->server_;
  auto auth = std::make_shared<Authenticator>(options);
  srv.set_payload_max_length(options.max_body_bytes);
  auto limiter = std::make_shared<RateLimiter>(options.rate_limit, 2 * options.rate_limit);
  srv.set_pre_routing_handler([limiter](const httplib::Request& req, httplib::Response& res) {
    // httplib passes a malformed escape through as text: a 400 instead.
    if (!valid_percent_encoding(req.target)) {
      send_error(res, 400, "bad_parameter", "malformed percent-encoding in the request target");
      return httplib::Server::HandlerResponse::Handled;
    }
    // (Runs before httplib reads a body: without a length it would read
    // until the client closes or the read times out.)
    if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH") &&
        !req.has_header("Content-Length") && req.get_header_value("Transfer-Encoding") != "chunked") {
      send_error(res, 411, "length_required", "a request with a body needs a Content-Length");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!limiter->enabled() || req.path == "/healthz" || limiter->allow(req.remote_addr)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.set_header("Retry-After", "1");
    send_error(res, 429, "rate_limited", "too many requests from this client; retry later");
    return httplib::Server::HandlerResponse::Handled;
  });
  // Refusals: counted, and logged without the token (at most 10 lines a second).
  auto log_budget = std::make_shared<std::pair<std::mutex, std::pair<int64_t, int>>>();
  srv.set_logger([&metrics, log_budget](const httplib::Request& req, const httplib::Response& res) {
    const char* reason = nullptr;
    switch (res.status) {
      case 400: reason = "bad_parameter"; break;
      case 401: reason = "unauthorized"; break;
      case 403: reason = "forbidden"; break;
      case 413: reason = "too_large"; break;
      case 414: reason = "too_large"; break;
      case 429: reason = "rate_limited"; break;
      default: return;
    }
    metrics.count_denial(reason);
    int64_t second = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now().time_since_epoch()).count();
    std::lock_guard lock(log_budget->first);
    auto& [at, lines] = log_budget->second;
    if (at != second) at = second, lines = 0;
    if (++lines > 10) return;
    spdlog::warn("http: {} {} {} from {} ({})", res.status, req.method, req.path, req.remote_addr, reason);
  });
  // Answers are small and written in pieces: without TCP_NODELAY, Nagle's
  // algorithm and delayed ACKs add ~40 ms to every keep-alive request.
  // Accepted sockets inherit the option from the listening one (Linux).
  // SO_REUSEADDR (a restart binds while old connections linger), never
  // httplib's default SO_REUSEPORT: with it a second process binds the same
  // address and takes half of the connections, bearer tokens included.
  srv.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  });

  // Runs `handler` when the request may see `seller` ("" = cross-seller: admin only).
  auto guarded = [auth](const httplib::Request& req, httplib::Response& res, const std::string& seller,
                        const std::function<void()>& handler) {
    if (auth->enabled()) {
      auto access = auth->check(req);
      if (!access) {
        res.set_header("WWW-Authenticate", "Bearer");
        return send_error(res, 401, "unauthorized", "a valid bearer token is required");
      }
      if (!access->admin && (seller.empty() || seller != access->seller)) {
        return send_error(res, 403, "forbidden", "this token may not read this data");
      }
    }
    handler();
  };

  // Cluster routing: true when this instance answers `seller`'s query itself;
  // otherwise `res` holds the forwarded answer or a 503.
  auto routed_here = [cluster](const httplib::Request& req, httplib::Response& res, const std::string& seller) {
    if (!cluster || seller.empty()) return true;
    const int32_t p = partition_of_seller(seller, cluster->ownership->partition_count());
    auto unavailable = [&](const std::string& code, const std::string& why) {
      res.set_header("Retry-After", "1");
      send_error(res, 503, code, why);
      return false;
    };
    switch (cluster->ownership->state(p)) {
      case PartitionOwnership::State::kServing:
        return true;
      case PartitionOwnership::State::kRestoring:
        return unavailable("restoring", "partition " + std::to_string(p) + " is being restored here; retry shortly");
      case PartitionOwnership::State::kNotOwned:
        break;
    }
    if (req.has_header(kForwardedHeader)) {
      return unavailable("not_owner", "partition " + std::to_string(p) + " moved; retry shortly");
    }
    Membership* membership = cluster->membership.load();
    if (!membership) return unavailable("starting", "this instance has not joined its group yet");
    auto server = membership->server_of(p);
    if (!server) return unavailable("unavailable", "no member serves partition " + std::to_string(p) + " yet");
    forward(*cluster, *server, req, res);
    return false;
  };

  if (commands) {
    auto act_for = [auth](const httplib::Request& req, httplib::Response& res, const std::string& seller,
                          const std::function<void(const std::string&)>& act) {
      if (!auth->enabled()) return act("unauthenticated");
      auto access = auth->check(req);
      if (!access) {
        res.set_header("WWW-Authenticate", "Bearer");
        return send_error(res, 401, "unauthorized", "a valid bearer token is required");
      }
      if (!access->admin && seller != access->seller) {
        return send_error(res, 403, "forbidden", "this token may not act for this seller");
      }
      act(access->admin ? "admin" : access->seller);
    };
    add_command_routes(srv, *commands, act_for, routed_here);
    if (commands->serves_action_links()) add_action_link_routes(srv, *commands, routed_here);
  }
  srv.Get(R"(/v1/sellers/([^/]+)/(response-times|returns|messages|account-health|return-settings|deadlines))",
          [&queries, guarded, routed_here](const httplib::Request& req, httplib::Response& res) {
            std::string seller = req.matches[1], what = req.matches[2];
            guarded(req, res, seller, [&] {
              if (!routed_here(req, res, seller)) return;
              QueryParams p;
              if (!params_of(req, res, p)) return;
              if (what == "response-times") return send(res, queries.response_times(seller, p));
              if (what == "returns") return send(res, queries.returns(seller, p));
              if (what == "messages") return send(res, queries.messages(seller, p));
              if (what == "return-settings") return send(res, queries.return_settings(seller, p));
              if (what == "deadlines") return send(res, queries.deadlines(seller, p));
              send(res, queries.account_health(seller, p));
            });
          });
  srv.Get(R"(/v1/orders/([^/]+)/history)", [&queries, guarded, routed_here](const httplib::Request& req, httplib::Response& res) {
    std::string order = req.matches[1];
    guarded(req, res, req.get_param_value("seller_id"), [&] {
      if (!routed_here(req, res, req.get_param_value("seller_id"))) return;
      QueryParams p;
      if (params_of(req, res, p)) send(res, queries.order_history(order, p));
    });
  });
  srv.Get("/v1/rejected", [&queries, guarded, cluster](const httplib::Request& req, httplib::Response& res) {
    guarded(req, res, req.get_param_value("seller_id"), [&] {
      QueryParams p;
      if (!params_of(req, res, p)) return;
      QueryResponse local = queries.rejected(p);
      if (!cluster || !cluster->membership.load() || local.status != 200 || req.has_header(kForwardedHeader)) {
        return send(res, local);
      }
      std::vector<std::string> answers = gather_from_members(*cluster, req);
      answers.push_back(local.body);
      size_t limit = p.count("limit") ? std::stoul(p["limit"]) : 100;
      send(res, {200, merge_arrays("rejected", answers, limit)});
    });
  });
  srv.Get("/v1/audit/partitions", [&queries, guarded, cluster](const httplib::Request& req, httplib::Response& res) {
    guarded(req, res, "", [&] {
      QueryParams p;
      if (!params_of(req, res, p)) return;
      QueryResponse local = queries.audit_partitions(p);
      if (!cluster || !cluster->membership.load() || local.status != 200 || req.has_header(kForwardedHeader)) {
        return send(res, local);
      }
      std::vector<std::string> answers = gather_from_members(*cluster, req);
      answers.push_back(local.body);
      send(res, {200, merge_arrays("partitions", answers, 0)});
    });
  });
  if (rebuild) {
    srv.Post("/v1/admin/rebuild", [rebuild, guarded](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, "", [&] {
        if (!admin_header_present(req, res)) return;
        std::string projection = "all";
        for (const auto& [k, v] : req.params) {
          if (k != "projection" || req.get_param_value_count(k) != 1) {
            return send_error(res, 400, "bad_parameter",
                              k == "projection" ? "parameter 'projection' is repeated" : "unknown parameter '" + k + "'");
          }
          projection = v;
        }
        Status st = rebuild->start(projection);
        if (!st.ok()) {
          bool busy = rebuild->state().state == "running";
          return send_error(res, busy ? 409 : 400, busy ? "conflict" : "bad_parameter", st.message());
        }
        res.status = 202;
        res.set_content(rebuild_state_json(rebuild->state()), "application/json");
      });
    });
    srv.Get("/v1/admin/rebuild", [rebuild, guarded](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, "", [&] {
        if (!req.params.empty()) {
          return send_error(res, 400, "bad_parameter", "unknown parameter '" + req.params.begin()->first + "'");
        }
        res.set_content(rebuild_state_json(rebuild->state()), "application/json");
      });
    });
  }
  if (admin.forget_buyer) {
    auto forget = admin.forget_buyer;
    srv.Post("/v1/admin/forget-buyer", [forget, guarded](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, "", [&] {
        if (!admin_header_present(req, res)) return;
        QueryParams p;
        if (!params_of(req, res, p)) return;
        for (const auto& [k, v] : p) {
          if (k != "seller_id" && k != "buyer_id") {
            return send_error(res, 400, "bad_parameter", "unknown parameter '" + k + "'");
          }
        }
        for (const char* k : {"seller_id", "buyer_id"}) {
          if (p[k].empty()) return send_error(res, 400, "bad_parameter", std::string("parameter '") + k + "' is required");
        }
        ErasureReport report;
        Status st = forget(p["seller_id"], p["buyer_id"], report);
        if (!st.ok()) {
          bool unknown = st.message().rfind("unknown seller", 0) == 0;
          return send_error(res, unknown ? 404 : 500, unknown ? "not_found" : "error", st.message());
        }
        std::string out = "{\"seller_id\":";
        append_json_string(out, p["seller_id"]);
        out += ",\"buyer_id\":";
        append_json_string(out, p["buyer_id"]);
        out += std::string(",\"erased\":") + (report.key_found ? "true" : "false");
        out += ",\"records_refolded\":" + std::to_string(report.records_refolded) + "}";
        res.set_content(out, "application/json");
      });
    });
  }
  if (cluster) {
    srv.Get("/v1/cluster", [cluster, guarded](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, "", [&] {
        if (!req.params.empty()) {
          return send_error(res, 400, "bad_parameter", "unknown parameter '" + req.params.begin()->first + "'");
        }
        if (!cluster->membership.load()) return send_error(res, 503, "starting", "not joined yet");
        res.set_content(cluster_json(*cluster), "application/json");
      });
    });
  }
  srv.Get("/healthz", [ready](const httplib::Request& req, httplib::Response& res) {
    if (!req.params.empty()) {
      return send_error(res, 400, "bad_parameter", "unknown parameter '" + req.params.begin()->first + "'");
    }
    bool ok = ready();
    res.status = ok ? 200 : 503;
    if (!ok) res.set_header("Retry-After", "1");
    res.set_content(ok ? R"({"status":"ok"})" : R"({"status":"starting"})", "application/json");
  });
  srv.Get("/metrics", [&metrics, guarded](const httplib::Request& req, httplib::Response& res) {
    guarded(req, res, "", [&] {
      if (!req.params.empty()) {
        return send_error(res, 400, "bad_parameter", "unknown parameter '" + req.params.begin()->first + "'");
      }
      res.set_content(metrics.render_prometheus(), "text/plain; version=0.0.4");
    });
  });
  // A known path asked with a method it does not take: 405 naming the ones it does.
  auto not_allowed = [](std::string allow) {
    return [allow](const httplib::Request&, httplib::Response& res) {
      res.set_header("Allow", allow);
      send_error(res, 405, "method_not_allowed", "this endpoint takes " + allow);
    };
  };
  const std::vector<std::string> get_only = {
      R"(/v1/sellers/([^/]+)/(response-times|returns|messages|account-health|return-settings|deadlines))",
      R"(/v1/orders/([^/]+)/history)", "/v1/rejected", "/v1/audit/partitions", "/v1/cluster", "/healthz",
      "/metrics"};
  for (const std::string& path : get_only) {
    srv.Post(path, not_allowed("GET, HEAD"));
    srv.Put(path, not_allowed("GET, HEAD"));
    srv.Delete(path, not_allowed("GET, HEAD"));
    srv.Patch(path, not_allowed("GET, HEAD"));
  }
  if (rebuild) {
    srv.Put("/v1/admin/rebuild", not_allowed("GET, HEAD, POST"));
    srv.Delete("/v1/admin/rebuild", not_allowed("GET, HEAD, POST"));
    srv.Patch("/v1/admin/rebuild", not_allowed("GET, HEAD, POST"));
  }
  if (admin.forget_buyer) {
    srv.Get("/v1/admin/forget-buyer", not_allowed("POST"));
    srv.Put("/v1/admin/forget-buyer", not_allowed("POST"));
    srv.Delete("/v1/admin/forget-buyer", not_allowed("POST"));
    srv.Patch("/v1/admin/forget-buyer", not_allowed("POST"));
  }
  // The answers httplib gives itself, as JSON errors that name the problem.
  const size_t max_body = options.max_body_bytes;
  srv.set_error_handler([max_body](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string code = "error", message = "request failed";
    switch (res.status) {
      case 400: code = "bad_request", message = "the request could not be read"; break;
      case 404: code = "not_found", message = "no such endpoint"; break;
      case 413: code = "too_large", message = "the request body exceeds " + std::to_string(max_body) + " bytes"; break;
      case 414: code = "too_large", message = "the request target is too long"; break;
      default: break;
    }
    res.set_content(error_json(code, message), "application/json");
  });

  if (port == 0) {
    port = srv.bind_to_any_port(host);
    if (port < 0) return Status::Error("http: cannot bind " + host);
  } else if (!srv.bind_to_port(host, port)) {
    return Status::Error("http: cannot listen on " + options.listen);
  }
  api->port_ = port;
  api->thread_ = std::thread([&srv] { srv.listen_after_bind(); });
  // stop() is a no-op until the server runs: wait for it, so that a stop
  // right after start cannot leave the listening thread behind.
  for (int i = 0; i < 5000 && !srv.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!auth->enabled() && !is_loopback_host(host)) {
    spdlog::warn("http: serving {}:{} WITHOUT AUTHENTICATION: anyone who can reach this address reads every "
                 "seller's data; set admin_tokens and [seller_tokens], or listen on 127.0.0.1",
                 host, port);
  }
  spdlog::info("http: serving on {}:{}{}{}{}", host, port, tls ? " (HTTPS)" : "",
               auth->enabled() ? " (bearer tokens required)" : "",
               limiter->enabled() ? fmt::format(" ({} requests/s per client)", options.rate_limit) : "");
  out = std::move(api);
  return Status::Ok();
}

HttpApi::~HttpApi() { stop(); }

void HttpApi::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace carelog
