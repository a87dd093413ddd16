#include "cli/engine_client.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace carelog {

std::unique_ptr<EventLog> open_read_only(const std::string& data_dir) {
  std::unique_ptr<EventLog> log;
  Status st = EventLog::open(data_dir, EventLogOptions{true, false}, log);
  if (!st.ok()) std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
  return log;
}

std::optional<std::string> running_engine_file(const std::string& data_dir) {
  std::ifstream engine(data_dir + "/engine.json");
  if (!engine) return std::nullopt;
  std::stringstream text;
  text << engine.rdbuf();
  return text.str();
}

std::string json_field(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":";
  size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  if (at < json.size() && json[at] == '"') {
    std::string out;
    for (size_t i = at + 1; i < json.size() && json[i] != '"'; ++i) {
      if (json[i] == '\\' && i + 1 < json.size()) ++i;
      out.push_back(json[i]);
    }
    return out;
  }
  size_t end = json.find_first_of(",}", at);
  return json.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

std::string engine_url(const std::string& engine_json) {
  std::string address = json_field(engine_json, "http");
  if (address.empty()) return "";
  return (json_field(engine_json, "tls") == "true" ? "https://" : "http://") + address;
}

std::string engine_ca(const std::string& engine_json) { return json_field(engine_json, "ca"); }

std::unique_ptr<EngineAdminClient> engine_admin_client(const std::string& engine_json, const std::string& token,
                                                       int read_timeout_s) {
  const std::string url = engine_url(engine_json);
  if (url.empty()) return nullptr;
  auto c = std::make_unique<EngineAdminClient>(url);
  if (const std::string ca = engine_ca(engine_json); !ca.empty()) c->http.set_ca_cert_path(ca.c_str());
  c->http.set_read_timeout(read_timeout_s, 0);
  if (!token.empty()) c->headers.emplace("Authorization", "Bearer " + token);
  c->headers.emplace(kAdminHeader, "1");
  return c;
}

uint64_t json_u64(const std::string& json, const std::string& key) {
  std::string v = json_field(json, key);
  return v.empty() ? 0 : std::strtoull(v.c_str(), nullptr, 10);
}

}  // namespace carelog
