#include "config/config.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <toml++/toml.h>

#include "events/text_rules.h"

namespace carelog {

const std::vector<SettingSpec> kSettings = {
    {"source", SettingKind::kString, "where events come from: kafka, or file:PATH.jsonl"},
    {"brokers", SettingKind::kString, "Kafka bootstrap servers, HOST:PORT[,HOST:PORT]"},
    {"topic", SettingKind::kString, "Kafka topic of the events"},
    {"group", SettingKind::kString, "Kafka consumer group"},
    {"dlq_topic", SettingKind::kString, "dead-letter topic (default: <topic>.dlq)"},
    {"decisions_topic", SettingKind::kString, "topic of the engine's derived events (decisions, notifications)"},
    {"data_dir", SettingKind::kString, "directory of the RocksDB event log"},
    {"http", SettingKind::kString, "HTTP listen address HOST:PORT"},
    {"http_tls_cert", SettingKind::kString, "HTTPS: the server certificate (PEM file); with http_tls_key"},
    {"http_tls_key", SettingKind::kString, "HTTPS: the certificate's private key (PEM file)"},
    {"http_rate_limit", SettingKind::kInt, "HTTP requests per second per client address (0: no limit)"},
    {"http_max_body_bytes", SettingKind::kInt, "largest HTTP request body; larger ones get 413"},
    {"command_timeout_ms", SettingKind::kInt, "longest wait in ms for a seller's command to be produced, then to reach the log"},
    {"http_advertised", SettingKind::kString, "HOST:PORT other instances forward queries to (default: the listen address)"},
    {"members_topic", SettingKind::kString, "compacted topic where instances announce their partitions (off: single instance)"},
    {"batch_size", SettingKind::kInt, "records per source batch (one RocksDB WriteBatch)"},
    {"batch_wait_ms", SettingKind::kInt, "longest wait in ms to fill a batch"},
    {"checkpoint_records", SettingKind::kInt, "records between two checkpoints of the projections' rows"},
    {"checkpoint_interval_ms", SettingKind::kInt, "longest time in ms between two checkpoints of the projections' rows"},
    {"projection_memory_mb", SettingKind::kInt, "memory for sellers' projections; the least recently used are evicted past it"},
    {"stats_interval_s", SettingKind::kInt, "seconds between stats log lines (0: off)"},
    {"max_record_bytes", SettingKind::kInt, "largest accepted record; larger ones are rejected"},
    {"future_skew_s", SettingKind::kInt, "events whose occurred_at is later than the clock by more than this many seconds are rejected (future_time)"},
    {"follow", SettingKind::kBool, "file source: keep reading at end of file"},
    {"disable_wal", SettingKind::kBool, "write without RocksDB's WAL (Kafka re-delivers after a crash)"},
    {"log_level", SettingKind::kString, "trace, debug, info, warn, error"},
    {"marketplaces", SettingKind::kList, "accepted marketplace codes, comma separated"},
    {"admin_tokens", SettingKind::kList, "HTTP bearer tokens that may read every seller, comma separated"},
    {"non_returnable_categories", SettingKind::kList, "item categories never returnable, comma separated"},
};

std::string flag_name(const SettingSpec& s) {
  std::string f = "--";
  for (const char* c = s.key; *c; ++c) f.push_back(*c == '_' ? '-' : *c);
  return f;
}

std::string env_name(const SettingSpec& s) {
  std::string e = "CARELOG_";
  for (const char* c = s.key; *c; ++c) e.push_back(static_cast<char>(std::toupper(*c)));
  return e;
}

namespace {

const SettingSpec* find_setting(const std::string& key) {
  for (const auto& s : kSettings) {
    if (key == s.key) return &s;
  }
  return nullptr;
}

std::string* string_field(Config& c, const std::string& k) {
  if (k == "source") return &c.source;
  if (k == "brokers") return &c.brokers;
  if (k == "topic") return &c.topic;
  if (k == "group") return &c.group;
  if (k == "dlq_topic") return &c.dlq_topic;
  if (k == "decisions_topic") return &c.decisions_topic;
  if (k == "data_dir") return &c.data_dir;
  if (k == "http") return &c.http;
  if (k == "http_tls_cert") return &c.http_tls_cert;
  if (k == "http_tls_key") return &c.http_tls_key;
  if (k == "http_advertised") return &c.http_advertised;
  if (k == "members_topic") return &c.members_topic;
  if (k == "log_level") return &c.log_level;
  return nullptr;
}

int64_t* int_field(Config& c, const std::string& k) {
  if (k == "batch_size") return &c.batch_size;
  if (k == "batch_wait_ms") return &c.batch_wait_ms;
  if (k == "checkpoint_records") return &c.checkpoint_records;
  if (k == "checkpoint_interval_ms") return &c.checkpoint_interval_ms;
  if (k == "command_timeout_ms") return &c.command_timeout_ms;
  if (k == "projection_memory_mb") return &c.projection_memory_mb;
  if (k == "stats_interval_s") return &c.stats_interval_s;
  if (k == "max_record_bytes") return &c.max_record_bytes;
  if (k == "future_skew_s") return &c.future_skew_s;
  if (k == "http_rate_limit") return &c.http_rate_limit;
  if (k == "http_max_body_bytes") return &c.http_max_body_bytes;
  return nullptr;
}

bool* bool_field(Config& c, const std::string& k) {
  if (k == "follow") return &c.follow;
  if (k == "disable_wal") return &c.disable_wal;
  return nullptr;
}

// Every comma-separated item of `v`, blanks around it trimmed, empty ones included.
std::vector<std::string> split_items(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find(',', start);
    if (end == std::string::npos) end = v.size();
    std::string item = v.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out = split_items(v);
  std::erase_if(out, [](const std::string& item) { return item.empty(); });
  return out;
}

// What is wrong with a bearer token ("" when nothing): a token must be
// something to compare with, as a list item of the environment or a flag too.
std::string token_problem(const std::string& token) {
  if (token.empty()) return "an empty token would let every request in";
  for (unsigned char c : token) {
    if (c <= 0x20 || c >= 0x7F) return "a token must be printable ASCII without spaces";
    if (c == ',') return "a token must not contain ','";
  }
  return "";
}

std::string where(const std::string& path, const toml::node& n, const std::string& key) {
  return path + ":" + std::to_string(n.source().begin.line) + ": key '" + key + "'";
}

}  // namespace

static Status parse_into(Config& cfg, const std::string& key, const std::string& value,
                         const std::string& origin);

namespace {
// Rules on one setting's value, checked where it is set so the error can name
// its origin (file:line:key, variable or flag).
std::string check_value(const Config& c, const std::string& key) {
  if (key == "source" && c.source != "kafka" && (!c.file_source() || c.file_path().empty())) {
    return "expected 'kafka' or 'file:PATH', got '" + c.source + "'";
  }
  if ((key == "topic" || key == "data_dir" || key == "brokers" || key == "group") &&
      string_field(const_cast<Config&>(c), key)->empty()) {
    return "must not be empty";
  }
  if (key == "http" && c.http != "off") {
    const size_t colon = c.http.rfind(':');
    if (colon == std::string::npos) return "expected HOST:PORT or off, got '" + c.http + "'";
    const std::string port = c.http.substr(colon + 1);
    int n = -1;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n < 0 || n > 65535) {
      return "the port must be a number in 0..65535 (0: any free port), got '" + port + "'";
    }
  }
  if (key == "batch_size" && (c.batch_size < 1 || c.batch_size > 1'000'000)) return "must be in 1..1000000";
  if (key == "batch_wait_ms" && (c.batch_wait_ms < 0 || c.batch_wait_ms > 60'000)) return "must be in 0..60000";
  if (key == "checkpoint_records" && (c.checkpoint_records < 1 || c.checkpoint_records > 100'000'000)) {
    return "must be in 1..100000000";
  }
  if (key == "checkpoint_interval_ms" && (c.checkpoint_interval_ms < 1 || c.checkpoint_interval_ms > 3'600'000)) {
    return "must be in 1..3600000";
  }
  if (key == "command_timeout_ms" && (c.command_timeout_ms < 100 || c.command_timeout_ms > 300'000)) {
    return "must be in 100..300000";
  }
  if (key == "projection_memory_mb" && (c.projection_memory_mb < 1 || c.projection_memory_mb > (1 << 20))) {
    return "must be in 1..1048576";
  }
  if (key == "stats_interval_s" && c.stats_interval_s < 0) return "must not be negative";
  if (key == "future_skew_s" && (c.future_skew_s < 0 || c.future_skew_s > 10 * 365 * 86'400)) {
    return "must be in 0..315360000";
  }
  if (key == "max_record_bytes" && (c.max_record_bytes < 64 || c.max_record_bytes > (64 << 20))) {
    return "must be in 64..67108864";
  }
  if (key == "http_rate_limit" && (c.http_rate_limit < 0 || c.http_rate_limit > 1'000'000)) {
    return "must be in 0..1000000";
  }
  if (key == "http_max_body_bytes" && (c.http_max_body_bytes < 1024 || c.http_max_body_bytes > (16 << 20))) {
    return "must be in 1024..16777216";
  }
  if ((key == "http_tls_cert" || key == "http_tls_key") && !string_field(const_cast<Config&>(c), key)->empty()) {
    const std::string& path = *string_field(const_cast<Config&>(c), key);
    if (std::FILE* f = std::fopen(path.c_str(), "r")) {
      std::fclose(f);
    } else {
      return "cannot read '" + path + "'";
    }
  }
  if (key == "marketplaces" && c.marketplaces.empty()) return "must list at least one code";
  if (key == "log_level") {
    for (const char* l : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
      if (c.log_level == l) return "";
    }
    return "unknown level '" + c.log_level + "'";
  }
  return "";
}
}  // namespace

Status set_from_text(Config& cfg, const std::string& key, const std::string& value,
                     const std::string& origin) {
  Status st = parse_into(cfg, key, value, origin);
  if (!st.ok()) return st;
  std::string problem = check_value(cfg, key);
  if (!problem.empty()) return Status::Error(origin + ": " + problem);
  return Status::Ok();
}

static Status parse_into(Config& cfg, const std::string& key, const std::string& value,
                         const std::string& origin) {
  const SettingSpec* spec = find_setting(key);
  if (!spec) return Status::Error(origin + ": unknown setting '" + key + "'");
  switch (spec->kind) {
    case SettingKind::kString:
      *string_field(cfg, key) = value;
      return Status::Ok();
    case SettingKind::kInt: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size()) {
        return Status::Error(origin + ": expected an integer, got '" + value + "'");
      }
      *int_field(cfg, key) = v;
      return Status::Ok();
    }
    case SettingKind::kBool:
      if (value == "true" || value == "1" || value == "yes") {
        *bool_field(cfg, key) = true;
      } else if (value == "false" || value == "0" || value == "no") {
        *bool_field(cfg, key) = false;
      } else {
        return Status::Error(origin + ": expected true or false, got '" + value + "'");
      }
      return Status::Ok();
    case SettingKind::kList:
      if (key == "admin_tokens") {
        // Every item must be a token: an empty one ("", " ", ",") would read
        // as no token at all, and authentication would be off.
        std::vector<std::string> tokens = split_items(value);
        for (const std::string& token : tokens) {
          if (std::string problem = token_problem(token); !problem.empty()) {
            return Status::Error(origin + ": " + problem);
          }
        }
        cfg.admin_tokens = std::move(tokens);
        return Status::Ok();
      }
      (key == "marketplaces" ? cfg.marketplaces : cfg.non_returnable_categories) = split_list(value);
      return Status::Ok();
  }
  return Status::Ok();
}

namespace {
using Getenv = std::function<const char*(const char*)>;

// A secret file is small (a password, a PEM key); anything larger is a mistake.
constexpr size_t kMaxSecretFileBytes = 1 << 20;

// Reads the whole of `file` into `out`; on failure `error` says why.
bool read_secret_file(const std::string& file, std::string& out, std::string& error) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) {
    error = std::strerror(errno);
    return false;
  }
  out.clear();
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && out.size() <= kMaxSecretFileBytes) {
    out.append(buf, n);
  }
  int read_errno = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (read_errno != 0) {
    error = std::strerror(read_errno);
    return false;
  }
  if (out.size() > kMaxSecretFileBytes) {
    error = "larger than " + std::to_string(kMaxSecretFileBytes) + " bytes";
    return false;
  }
  return true;
}

// A [kafka] value given by reference: a table holding `env` or `file`, i.e.
// { env = "NAME" } or { file = "/path" } (or, the same table in TOML,
// sasl.password.env = "NAME"; no librdkafka property ends in .env or .file).
bool is_reference(const toml::table& t) { return t.contains("env") || t.contains("file"); }

// The value a reference points to: the variable's value, or the file's
// content without its trailing newlines. A relative file is taken from the
// config file's directory. Errors name the file, line and key, never a value.
Status resolve_reference(const std::string& path, const toml::table& ref, const std::string& key,
                         const Getenv& getenv_fn, std::string& out) {
  auto first = ref.cbegin();
  const toml::node& node = first->second;
  std::string kind(first->first.str());
  if (ref.size() != 1) {
    return Status::Error(where(path, node, key) +
                         ": expected { env = \"NAME\" } or { file = \"PATH\" }, not both or more keys");
  }
  const toml::value<std::string>* name = node.as_string();
  if (!name || name->get().empty()) {
    return Status::Error(where(path, node, key) + ": '" + kind + "' expects a non-empty string");
  }
  if (kind == "env") {
    const char* value = getenv_fn(name->get().c_str());
    if (!value) return Status::Error(where(path, node, key) + ": environment variable " + name->get() + " is not set");
    if (!*value) return Status::Error(where(path, node, key) + ": environment variable " + name->get() + " is empty");
    out = value;
    return Status::Ok();
  }
  std::filesystem::path file(name->get());
  if (file.is_relative()) file = std::filesystem::path(path).parent_path() / file;
  std::string error;
  if (!read_secret_file(file.string(), out, error)) {
    return Status::Error(where(path, node, key) + ": cannot read file " + file.string() + ": " + error);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (out.empty()) return Status::Error(where(path, node, key) + ": file " + file.string() + " is empty");
  return Status::Ok();
}

// The [kafka] table: librdkafka properties. A dotted key written without
// quotes (security.protocol = "SSL") is a nested table in TOML; it is
// flattened back into the property name "security.protocol".
Status load_kafka_table(const std::string& path, const toml::table& t, const std::string& prefix,
                        const Getenv& getenv_fn, Config& cfg) {
  for (auto& [pk, pv] : t) {
    std::string prop = prefix + std::string(pk.str());
    if (const toml::table* sub = pv.as_table()) {
      Status st = is_reference(*sub) ? resolve_reference(path, *sub, "kafka." + prop, getenv_fn, cfg.kafka[prop])
                                     : load_kafka_table(path, *sub, prop + ".", getenv_fn, cfg);
      if (!st.ok()) return st;
    } else if (auto s = pv.as_string()) {
      cfg.kafka[prop] = s->get();
    } else if (auto i = pv.as_integer()) {
      cfg.kafka[prop] = std::to_string(i->get());
    } else if (auto b = pv.as_boolean()) {
      cfg.kafka[prop] = b->get() ? "true" : "false";
    } else {
      return Status::Error(where(path, pv, "kafka." + prop) + ": expected a string, integer or boolean");
    }
  }
  return Status::Ok();
}
// A bearer token of the file: a string, or { env = "NAME" } / { file = "PATH" }.
Status read_token(const std::string& path, const toml::node& node, const std::string& key, const Getenv& getenv_fn,
                  std::string& token) {
  if (const toml::table* ref = node.as_table(); ref && is_reference(*ref)) {
    Status st = resolve_reference(path, *ref, key, getenv_fn, token);
    if (!st.ok()) return st;
  } else if (node.is_string()) {
    token = node.as_string()->get();
  } else {
    return Status::Error(where(path, node, key) + ": expected a token string, or { env = \"NAME\" } or { file = \"PATH\" }");
  }
  if (std::string problem = token_problem(token); !problem.empty()) {
    return Status::Error(where(path, node, key) + ": " + problem);
  }
  return Status::Ok();
}

// The [action_links] table (Config::action_link_*).
Status load_action_links(const std::string& path, const toml::node& node, const Getenv& getenv_fn, Config& cfg) {
  const toml::table* t = node.as_table();
  if (!t) return Status::Error(where(path, node, "action_links") + ": expected a table (secret, base_url, ttl_s)");
  for (auto& [k, v] : *t) {
    const std::string key = "action_links." + std::string(k.str());
    if (k.str() == "secret") {
      if (const toml::table* ref = v.as_table(); ref && is_reference(*ref)) {
        if (Status st = resolve_reference(path, *ref, key, getenv_fn, cfg.action_link_secret); !st.ok()) return st;
      } else if (v.is_string()) {
        cfg.action_link_secret = v.as_string()->get();
      } else {
        return Status::Error(where(path, v, key) + ": expected a string, or { env = \"NAME\" } or { file = \"PATH\" }");
      }
      if (cfg.action_link_secret.size() < 32) {
        return Status::Error(where(path, v, key) + ": a secret of at least 32 bytes is needed (anyone who "
                             "guesses it can act for every seller)");
      }
    } else if (k.str() == "base_url") {
      const std::string url = v.is_string() ? v.as_string()->get() : "";
      if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        return Status::Error(where(path, v, key) + ": expected an http:// or https:// URL");
      }
      cfg.action_link_base_url = url;
    } else if (k.str() == "ttl_s") {
      const int64_t ttl = v.is_integer() ? v.as_integer()->get() : 0;
      if (ttl < 60 || ttl > 366 * 86'400) return Status::Error(where(path, v, key) + ": must be in 60..31622400");
      cfg.action_link_ttl_s = ttl;
    } else {
      return Status::Error(where(path, v, key) + ": unknown key (secret, base_url, ttl_s)");
    }
  }
  if (cfg.action_link_secret.empty()) {
    return Status::Error(where(path, node, "action_links") + ": a secret is needed");
  }
  if (cfg.action_link_base_url.empty()) {
    return Status::Error(where(path, node, "action_links") + ": a base_url is needed (where the links point)");
  }
  return Status::Ok();
}

// A token grants one identity: `token` (just given to `owner`, "" for
// admin) must not be another seller's or an admin's too.
Status check_token_unique(const Config& cfg, const std::string& path, const toml::node& node,
                          const std::string& key, const std::string& token, const std::string& owner) {
  size_t admin_uses = 0;
  for (const auto& t : cfg.admin_tokens) admin_uses += t == token;
  if (owner.empty() ? admin_uses > 1 : admin_uses > 0) {
    return Status::Error(where(path, node, key) + ": this token is also an admin token");
  }
  for (const auto& [seller, t] : cfg.seller_tokens) {
    if (t == token && seller != owner) {
      return Status::Error(where(path, node, key) + ": this token is also seller " + seller + "'s");
    }
  }
  return Status::Ok();
}

}  // namespace

Status load_config_file(const std::string& path, Config& cfg, const Getenv& getenv_fn) {
  const Getenv env = getenv_fn ? getenv_fn : [](const char* name) -> const char* { return std::getenv(name); };
  // Checked first: toml++ reports an unreadable file as a parse error at
  // line 0, and reads a directory as an empty file (no tokens: no auth).
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    return Status::Error(path + ": not a file (expected a TOML file)");
  }
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
  } else {
    return Status::Error(path + ": cannot open: " + std::strerror(errno));
  }
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::Error(path + ":" + std::to_string(e.source().begin.line) + ": " +
                         std::string(e.description()));
  } catch (const std::exception& e) {
    return Status::Error(path + ": " + e.what());
  }
  cfg.config_file = path;
  for (auto& [k, node] : root) {
    std::string key(k.str());
    if (key == "kafka") {
      const toml::table* t = node.as_table();
      if (!t) return Status::Error(where(path, node, key) + ": expected a table of librdkafka properties");
      Status st = load_kafka_table(path, *t, "", env, cfg);
      if (!st.ok()) return st;
      continue;
    }
    if (key == "action_links") {
      Status st = load_action_links(path, node, env, cfg);
      if (!st.ok()) return st;
      continue;
    }
    if (key == "holiday") {
      const toml::table* t = node.as_table();
      if (!t) return Status::Error(where(path, node, key) + ": expected tables [holiday.default], [holiday.FR], ...");
      for (auto& [name, dates] : *t) {
        std::string scope(name.str());
        std::string k = "holiday." + scope;
        bool mp = scope.size() == 2 && std::isupper(static_cast<unsigned char>(scope[0])) &&
                  std::isupper(static_cast<unsigned char>(scope[1]));
        bool mp_year = scope.size() == 7 && scope[2] == '.' && std::isupper(static_cast<unsigned char>(scope[0])) &&
                       std::isupper(static_cast<unsigned char>(scope[1])) &&
                       scope.find_first_not_of("0123456789", 3) == std::string::npos;
        if (scope != "default" && !mp && !mp_year) {
          return Status::Error(where(path, dates, k) +
                               ": expected holiday.default, holiday.<MARKETPLACE> or holiday.\"<MARKETPLACE>.<YEAR>\"");
        }
        const toml::table* d = dates.as_table();
        if (!d) return Status::Error(where(path, dates, k) + ": expected a table with ship_from, ship_to, return_until");
        HolidayDates h;
        for (auto& [field, v] : *d) {
          std::string f(field.str());
          int* month = f == "ship_from" ? &h.from_month : f == "ship_to" ? &h.to_month
                       : f == "return_until" ? &h.until_month : nullptr;
          int* day = f == "ship_from" ? &h.from_day : f == "ship_to" ? &h.to_day
                     : f == "return_until" ? &h.until_day : nullptr;
          if (!month) return Status::Error(where(path, v, k + "." + f) + ": unknown key (ship_from, ship_to, return_until)");
          int m = 0, dd = 0;
          std::string text = v.is_string() ? v.as_string()->get() : "";
          if (text.size() != 5 || std::sscanf(text.c_str(), "%2d-%2d", &m, &dd) != 2 || m < 1 || m > 12 ||
              dd < 1 || dd > 31) {
            return Status::Error(where(path, v, k + "." + f) + ": expected a month-day like \"11-01\"");
          }
          *month = m;
          *day = dd;
        }
        cfg.holidays[scope] = h;
      }
      continue;
    }
    if (key == "seller_tokens") {
      const toml::table* t = node.as_table();
      if (!t) return Status::Error(where(path, node, key) + ": expected a table of seller_id = \"token\"");
      for (auto& [seller, token_node] : *t) {
        const std::string seller_id(seller.str());
        const std::string k = "seller_tokens." + seller_id;
        if (seller_id.empty() || seller_id.size() > 64 || !text::seller_id_chars(seller_id)) {
          return Status::Error(where(path, token_node, k) + ": a seller id is 1..64 of [A-Za-z0-9_-]");
        }
        std::string token;
        Status st = read_token(path, token_node, k, env, token);
        if (!st.ok()) return st;
        cfg.seller_tokens[seller_id] = token;
        if (Status shared = check_token_unique(cfg, path, token_node, k, token, seller_id); !shared.ok()) return shared;
      }
      continue;
    }
    if (key == "admin_tokens") {
      const toml::array* a = node.as_array();
      if (!a) return Status::Error(where(path, node, key) + ": expected an array of tokens");
      cfg.admin_tokens.clear();
      for (auto& item : *a) {
        std::string token;
        Status st = read_token(path, item, key, env, token);
        if (!st.ok()) return st;
        cfg.admin_tokens.push_back(token);
        if (Status shared = check_token_unique(cfg, path, item, key, token, ""); !shared.ok()) return shared;
      }
      continue;
    }
    const SettingSpec* spec = find_setting(key);
    if (!spec) return Status::Error(where(path, node, key) + ": unknown key");
    std::string text;
    switch (spec->kind) {
      case SettingKind::kString:
        if (!node.is_string()) return Status::Error(where(path, node, key) + ": expected a string");
        text = node.as_string()->get();
        break;
      case SettingKind::kInt:
        if (!node.is_integer()) return Status::Error(where(path, node, key) + ": expected an integer");
        text = std::to_string(node.as_integer()->get());
        break;
      case SettingKind::kBool:
        if (!node.is_boolean()) return Status::Error(where(path, node, key) + ": expected true or false");
        text = node.as_boolean()->get() ? "true" : "false";
        break;
      case SettingKind::kList: {
        const toml::array* a = node.as_array();
        if (!a) return Status::Error(where(path, node, key) + ": expected an array of strings");
        for (auto& item : *a) {
          if (!item.is_string()) return Status::Error(where(path, item, key) + ": expected an array of strings");
          text += (text.empty() ? "" : ",") + item.as_string()->get();
        }
        break;
      }
    }
    Status st = set_from_text(cfg, key, text, where(path, node, key));
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status apply_environment(Config& cfg, const std::function<const char*(const char*)>& getenv_fn) {
  for (const auto& s : kSettings) {
    std::string name = env_name(s);
    if (const char* v = getenv_fn(name.c_str())) {
      Status st = set_from_text(cfg, s.key, v, "environment " + name);
      if (!st.ok()) return st;
    }
  }
  return Status::Ok();
}

Status resolve_config(const std::optional<std::string>& config_path,
                      const std::map<std::string, std::string>& flags,
                      const std::function<const char*(const char*)>& getenv_fn, Config& out) {
  Config cfg;
  std::optional<std::string> path = config_path;
  if (!path) {
    if (const char* p = getenv_fn("CARELOG_CONFIG")) path = p;
  }
  if (path) {
    Status st = load_config_file(*path, cfg, getenv_fn);
    if (!st.ok()) return st;
  }
  Status st = apply_environment(cfg, getenv_fn);
  if (!st.ok()) return st;
  for (const auto& [key, value] : flags) {
    const SettingSpec* spec = find_setting(key);
    st = set_from_text(cfg, key, value, "flag " + (spec ? flag_name(*spec) : key));
    if (!st.ok()) return st;
  }
  st = validate_config(cfg);
  if (!st.ok()) return st;
  out = std::move(cfg);
  return Status::Ok();
}

Status validate_config(const Config& cfg) {
  for (const auto& s : kSettings) {
    std::string problem = check_value(cfg, s.key);
    if (!problem.empty()) return Status::Error(std::string(s.key) + ": " + problem);
  }
  // A token grants one identity (whichever way the tokens were given).
  std::map<std::string, std::string> owner;  // token -> "an admin" or "seller S"
  for (const auto& t : cfg.admin_tokens) owner.emplace(t, "an admin");
  for (const auto& [seller, t] : cfg.seller_tokens) {
    if (std::string problem = token_problem(t); !problem.empty()) {
      return Status::Error("seller_tokens." + seller + ": " + problem);
    }
    auto [it, inserted] = owner.emplace(t, "seller " + seller);
    if (!inserted) return Status::Error("seller_tokens." + seller + ": this token is also " + it->second + "'s");
  }
  return Status::Ok();
}

bool is_secret_kafka_property(const std::string& name) {
  std::string n;
  for (char c : name) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return n.find("password") != std::string::npos || n.find("secret") != std::string::npos ||
         n == "ssl.key.pem" || n == "sasl.oauthbearer.config";
}

std::string describe_kafka_properties(const std::map<std::string, std::string>& props) {
  std::string out;
  for (const auto& [k, v] : props) {
    if (!out.empty()) out += ' ';
    out += k + "=" + (is_secret_kafka_property(k) ? "***" : v);
  }
  return out;
}

}  // namespace carelog
