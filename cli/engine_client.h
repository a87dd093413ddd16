// Reaching a data dir from the command line: read-only, or, while an engine
// runs on it (it holds the RocksDB lock), through that engine, whose
// <data dir>/engine.json says where its HTTP API is.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/event_log.h"

namespace carelog {

// The data dir's log opened read-only (beside a running engine too); nullptr
// after printing why on stderr.
std::unique_ptr<EventLog> open_read_only(const std::string& data_dir);

// The contents of <data_dir>/engine.json, if a running engine left one.
std::optional<std::string> running_engine_file(const std::string& data_dir);

// The base URL ("http://HOST:PORT" or "https://...") of the running engine's
// API, from its engine.json ("" when it serves none), and the certificate to
// trust for HTTPS ("" for HTTP).
std::string engine_url(const std::string& engine_json);
std::string engine_ca(const std::string& engine_json);
// Header every admin request carries (a browser cannot send it cross-site).
inline constexpr const char* kAdminHeader = "X-Carelog-Admin";

// A client of the running engine's admin API: its URL, the certificate to
// trust, the bearer token and the admin header set; nullptr when the engine
// serves no API.
struct EngineAdminClient {
  explicit EngineAdminClient(const std::string& url) : http(url), url(url) {}
  httplib::Client http;
  httplib::Headers headers;
  std::string url;
};
std::unique_ptr<EngineAdminClient> engine_admin_client(const std::string& engine_json, const std::string& token,
                                                       int read_timeout_s);

// The value of "key" in a flat JSON object of strings and numbers ("" if absent).
std::string json_field(const std::string& json, const std::string& key);
uint64_t json_u64(const std::string& json, const std::string& key);

}  // namespace carelog
