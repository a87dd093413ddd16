// The HTTP query API (cpp-httplib): the endpoints of spec/projections.md,
// /healthz and /metrics. Runs on its own threads; every request reads a
// snapshot through QueryService.
//
// Auth (optional): with tokens configured, every /v1 request needs
// "Authorization: Bearer <token>": none -> 401; an admin token sees every
// seller; a seller token sees only its own seller (403 otherwise); /metrics
// needs an admin token; /healthz is open.
//
// Limits: request bodies over max_body_bytes get 413, request lines over
// 8 KiB 414, a client over its rate 429 with Retry-After. Every refusal
// (401, 403, 413, 414, 429, and 400 for a bad parameter) is counted in
// carelog_http_denied_total{reason} and logged (method, path, client; never
// the token), at most 10 lines a second.
//
// Scale-out (cluster.h, with `cluster`): a seller's query is answered here
// when this instance serves the seller's partition, 503 + Retry-After while
// it restores it, forwarded to the member serving it otherwise (503 when
// none does, or when the request was already forwarded: no loops).
// /v1/audit/partitions and /v1/rejected merge every member's answer;
// GET /v1/cluster (admin) shows the members, their partitions and restores.
//
// Commands (with `commands`): the routes of spec/commands.md
// (command_routes.h); a seller's token acts only for its seller, an admin
// token for any.
//
// Admin: POST /v1/admin/rebuild?projection=all|NAME starts a blue/green
// rebuild of the projections beside the serving generation (202; 409 while
// one runs); GET /v1/admin/rebuild answers its state. POST
// /v1/admin/forget-buyer?seller_id=S&buyer_id=B erases a buyer (erasure.h):
// 200 {"erased":true|false,...}; 404 for an unknown seller. With tokens
// configured they need an admin token; the POSTs always need the header
// X-Carelog-Admin (no cross-site request from a browser can carry it). Tokens are kept as BLAKE2b hashes
// and compared in constant time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/cluster_http.h"
#include "connectors/command_service.h"
#include "connectors/query_service.h"
#include "engine/erasure.h"
#include "engine/rebuild_service.h"
#include "engine/status.h"

namespace httplib {
class Server;
}

namespace carelog {

// What the admin endpoints act on.
struct AdminHooks {
  RebuildService* rebuild = nullptr;  // POST|GET /v1/admin/rebuild
  // POST /v1/admin/forget-buyer?seller_id=S&buyer_id=B (erasure.h)
  std::function<Status(const std::string& seller, const std::string& buyer, ErasureReport&)> forget_buyer;
};

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  std::vector<std::string> admin_tokens;
  std::map<std::string, std::string> seller_tokens;  // seller_id -> token
  // Requests per second per client address (bursts of twice that); 0: none.
  double rate_limit = 0;
  // HTTPS when both are set (PEM files).
  std::string tls_cert, tls_key;
  size_t max_body_bytes = 64 << 10;
};

class HttpApi {
 public:
  // Binds and starts serving. `ready` answers /healthz (503 until true).
  // `admin` (optional) serves the /v1/admin endpoints (admin only).
  static Status start(const HttpOptions& options, const QueryService& queries, EngineMetrics& metrics,
                      std::function<bool()> ready, std::unique_ptr<HttpApi>& out,
                      const AdminHooks& admin = {}, const ClusterView* cluster = nullptr,
                      const CommandService* commands = nullptr);
  ~HttpApi();
  void stop();
  int port() const { return port_; }

 private:
  HttpApi() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace carelog
