// The engine's configuration: one plain struct with documented defaults, and
// the layers that fill it. Precedence: flag > CARELOG_* environment > TOML
// file > default. Every setting has all four forms, listed in kSettings.
//
// A bad value stops start-up with a message naming where it came from: the
// file, line and key for the TOML file; the variable for the environment;
// the flag for the command line.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/status.h"

namespace carelog {

// A holiday return extension: orders shipped from..to (month-day, inclusive)
// may be returned until `until` (in the next year when it falls before
// `from`).
struct HolidayDates {
  int from_month = 11, from_day = 1;
  int to_month = 12, to_day = 31;
  int until_month = 1, until_day = 31;
};

struct Config {
  // "kafka" (consume `topic` from `brokers`) or "file:PATH.jsonl".
  std::string source = "kafka";
  std::string brokers = "127.0.0.1:9092";
  std::string topic = "carelog.events";
  std::string group = "carelog";
  std::string dlq_topic;  // default: "<topic>.dlq"
  std::string decisions_topic = "carelog.decisions";  // derived events go out here
  std::string data_dir = "data";
  std::string http = "127.0.0.1:8080";
  std::string http_tls_cert, http_tls_key;  // both set: HTTPS
  int64_t http_rate_limit = 0;              // requests/s per client address; 0 = none
  int64_t http_max_body_bytes = 64 << 10;
  std::string http_advertised;                   // default: listen address + port
  std::string members_topic = "carelog.members";  // "off": single instance, no routing
  int64_t batch_size = 2000;     // records per source batch (one WriteBatch)
  int64_t batch_wait_ms = 20;    // longest wait to fill a batch
  // The projections' rows are written at checkpoints (engine/ingest.h): after
  // this many records, or this long after the last one. The larger, the fewer
  // rows written (changes of one entity coalesce) and the more log a restart
  // after a crash folds again.
  int64_t checkpoint_records = 100'000;
  int64_t checkpoint_interval_ms = 5'000;
  int64_t command_timeout_ms = 5'000;  // a command's produce, then its wait for the log
  // The sellers' in-memory projections past this many MiB (at a checkpoint)
  // are evicted, least recently used first; they load again from their rows.
  int64_t projection_memory_mb = 384;
  int64_t stats_interval_s = 10; // period of the stats log line; 0 = off
  int64_t max_record_bytes = 1 << 20;
  int64_t future_skew_s = 86'400;  // occurred_at past the clock + this: rejected
  bool follow = false;           // file source: keep reading at end of file
  bool disable_wal = false;      // see DESIGN.md: only with atomic flush + re-consume
  std::string log_level = "info";
  std::vector<std::string> marketplaces = {"FR", "UK", "DE", "IT", "ES", "NL", "SE",
                                           "PL", "BE", "IE", "US", "CA", "JP"};
  std::string config_file;  // the TOML file read, if any
  // librdkafka properties passed to every Kafka client ([kafka] table),
  // e.g. security.protocol, sasl.mechanism, ssl.ca.location. A value may be
  // read from elsewhere when the file is loaded: { env = "NAME" } (an
  // environment variable) or { file = "/path" } (a file's content, trailing
  // newlines trimmed). Secret values are never logged: see
  // is_secret_kafka_property.
  std::map<std::string, std::string> kafka;
  // HTTP API bearer tokens: admin tokens see every seller; [seller_tokens]
  // maps a seller_id to the token that sees only that seller. None: no auth.
  std::vector<std::string> admin_tokens;
  std::map<std::string, std::string> seller_tokens;
  // Signed action links in notifications (engine/action_link.h), from an
  // [action_links] table: `secret` (at least 32 bytes; a string, or
  // { env = "NAME" } / { file = "PATH" }), `base_url` (what the links start
  // with, http:// or https://) and `ttl_s` (their life). No secret: the
  // notifications name their actions, and /v1/actions is not served.
  std::string action_link_secret, action_link_base_url;
  int64_t action_link_ttl_s = 7 * 86'400;
  // Return policy: categories never returnable, and the holiday extension
  // ([holiday.default], then [holiday.FR] per marketplace, then
  // [holiday."FR.2012"] for one year's shipments). The default recurs every
  // year: shipped 1 November - 31 December, returnable until 31 January.
  std::vector<std::string> non_returnable_categories = {"grocery", "custom"};
  std::map<std::string, HolidayDates> holidays;

  std::string effective_dlq_topic() const { return dlq_topic.empty() ? topic + ".dlq" : dlq_topic; }
  bool file_source() const { return source.rfind("file:", 0) == 0; }
  std::string file_path() const { return file_source() ? source.substr(5) : ""; }
};

enum class SettingKind { kString, kInt, kBool, kList };

struct SettingSpec {
  const char* key;   // TOML key; flag is --key with '_' -> '-'; env CARELOG_KEY
  SettingKind kind;
  const char* help;
};

extern const std::vector<SettingSpec> kSettings;

std::string flag_name(const SettingSpec& s);  // "--data-dir"
std::string env_name(const SettingSpec& s);   // "CARELOG_DATA_DIR"

// Sets `key` from its textual form; `origin` names where it came from for
// error messages ("flag --batch-size", "environment CARELOG_BATCH_SIZE").
Status set_from_text(Config& cfg, const std::string& key, const std::string& value,
                     const std::string& origin);

// Reads a TOML file into `cfg` (the file layer). Unknown keys are errors.
// `getenv_fn` resolves [kafka] values given as { env = "NAME" } (default:
// the process environment).
Status load_config_file(const std::string& path, Config& cfg,
                        const std::function<const char*(const char*)>& getenv_fn = {});

// Applies every CARELOG_* variable that `getenv` returns.
Status apply_environment(Config& cfg,
                         const std::function<const char*(const char*)>& getenv_fn);

// Builds the final config: defaults, then the file (`config_path`, or
// CARELOG_CONFIG), then the environment, then `flags` (key -> text).
Status resolve_config(const std::optional<std::string>& config_path,
                      const std::map<std::string, std::string>& flags,
                      const std::function<const char*(const char*)>& getenv_fn, Config& out);

// Checks cross-field rules (non-empty topic, positive batch size, ...).
Status validate_config(const Config& cfg);

// True when the value of the librdkafka property `name` is a secret that is
// never logged: every name containing "password" or "secret" (sasl.password,
// ssl.key.password, ssl.keystore.password, sasl.oauthbearer.client.secret),
// plus ssl.key.pem and sasl.oauthbearer.config. Case-insensitive.
bool is_secret_kafka_property(const std::string& name);

// The [kafka] properties for a log line, secrets masked:
// "sasl.mechanism=PLAIN sasl.password=*** security.protocol=SASL_SSL".
std::string describe_kafka_properties(const std::map<std::string, std::string>& props);

}  // namespace carelog
