// The configuration layers: defaults, the TOML file, CARELOG_* variables and
// flags (flag > environment > file > default), and the errors that name where
// a bad value came from (file:line and key, variable, flag).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "tests/unit/test_support.h"

namespace carelog::config_test {
namespace {

using testing::TempDir;

// A fake environment: getenv over a map, nullptr for anything not in it.
using Getenv = std::function<const char*(const char*)>;
Getenv fake_env(std::map<std::string, std::string> vars = {}) {
  auto m = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [m](const char* name) -> const char* {
    auto it = m->find(name);
    return it == m->end() ? nullptr : it->second.c_str();
  };
}

// Writes `lines` (line 1 first), each followed by a newline; returns the path.
std::string write_file(const TempDir& dir, const std::string& name, const std::vector<std::string>& lines) {
  std::string path = dir / name;
  std::ofstream out(path, std::ios::binary);
  for (const auto& l : lines) out << l << "\n";
  return path;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const SettingSpec& spec(const std::string& key) {
  for (const auto& s : kSettings) {
    if (key == s.key) return s;
  }
  throw std::runtime_error("no setting " + key);
}

// ---------------------------------------------------------------- defaults

TEST(ConfigDefaults, PlainStructHasDocumentedDefaults) {
  Config c;
  EXPECT_EQ(c.source, "kafka");
  EXPECT_EQ(c.brokers, "127.0.0.1:9092");
  EXPECT_EQ(c.topic, "carelog.events");
  EXPECT_EQ(c.group, "carelog");
  EXPECT_EQ(c.dlq_topic, "");
  EXPECT_EQ(c.effective_dlq_topic(), "carelog.events.dlq");
  EXPECT_EQ(c.data_dir, "data");
  EXPECT_EQ(c.http, "127.0.0.1:8080");
  EXPECT_EQ(c.batch_size, 2000);
  EXPECT_EQ(c.batch_wait_ms, 20);
  EXPECT_EQ(c.stats_interval_s, 10);
  EXPECT_EQ(c.max_record_bytes, 1 << 20);
  EXPECT_FALSE(c.follow);
  EXPECT_FALSE(c.disable_wal);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.marketplaces, (std::vector<std::string>{"FR", "UK", "DE", "IT", "ES", "NL", "SE", "PL", "BE",
                                                      "IE", "US", "CA", "JP"}));
  EXPECT_TRUE(c.kafka.empty());
  EXPECT_EQ(c.config_file, "");
  EXPECT_FALSE(c.file_source());
  EXPECT_EQ(c.file_path(), "");
  EXPECT_TRUE(validate_config(c).ok());
}

TEST(ConfigDefaults, ResolveWithNothingGivesDefaults) {
  auto env = fake_env();
  Config out;
  out.batch_size = 7;  // overwritten by the resolved config
  Status st = resolve_config(std::nullopt, {}, env, out);
  ASSERT_TRUE(st.ok()) << st.message();
  Config d;
  EXPECT_EQ(out.source, d.source);
  EXPECT_EQ(out.topic, d.topic);
  EXPECT_EQ(out.data_dir, d.data_dir);
  EXPECT_EQ(out.batch_size, 2000);
  EXPECT_EQ(out.follow, false);
  EXPECT_EQ(out.marketplaces, d.marketplaces);
  EXPECT_EQ(out.config_file, "");
  EXPECT_TRUE(out.kafka.empty());
}

TEST(ConfigDefaults, FlagAndEnvironmentNames) {
  EXPECT_EQ(flag_name(spec("data_dir")), "--data-dir");
  EXPECT_EQ(env_name(spec("data_dir")), "CARELOG_DATA_DIR");
  EXPECT_EQ(flag_name(spec("batch_size")), "--batch-size");
  EXPECT_EQ(env_name(spec("batch_size")), "CARELOG_BATCH_SIZE");
  EXPECT_EQ(flag_name(spec("stats_interval_s")), "--stats-interval-s");
  EXPECT_EQ(env_name(spec("stats_interval_s")), "CARELOG_STATS_INTERVAL_S");
  // Every field of the struct (but config_file and kafka) is a setting.
  std::vector<std::string> keys;
  for (const auto& s : kSettings) keys.push_back(s.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"source", "brokers", "topic", "group", "dlq_topic", "decisions_topic", "data_dir", "http",
                                            "http_tls_cert", "http_tls_key", "http_rate_limit", "http_max_body_bytes",
                                            "command_timeout_ms", "http_advertised", "members_topic",
                                            "batch_size", "batch_wait_ms", "checkpoint_records", "checkpoint_interval_ms",
                                            "projection_memory_mb",
                                            "stats_interval_s", "max_record_bytes", "future_skew_s", "follow", "disable_wal", "log_level", "marketplaces", "admin_tokens", "non_returnable_categories"}));
}

TEST(ConfigDefaults, FileSourceAccessors) {
  Config c;
  c.source = "file:samples/seed-feed.jsonl";
  EXPECT_TRUE(c.file_source());
  EXPECT_EQ(c.file_path(), "samples/seed-feed.jsonl");
  c.dlq_topic = "dead";
  EXPECT_EQ(c.effective_dlq_topic(), "dead");
}

// ---------------------------------------------------------------- set_from_text

TEST(ConfigText, EveryKindParses) {
  Config c;
  ASSERT_TRUE(set_from_text(c, "topic", "t1", "test").ok());
  EXPECT_EQ(c.topic, "t1");
  ASSERT_TRUE(set_from_text(c, "batch_size", "123", "test").ok());
  EXPECT_EQ(c.batch_size, 123);
  ASSERT_TRUE(set_from_text(c, "stats_interval_s", "0", "test").ok());
  EXPECT_EQ(c.stats_interval_s, 0);
  for (const char* t : {"true", "1", "yes"}) {
    c.follow = false;
    ASSERT_TRUE(set_from_text(c, "follow", t, "test").ok()) << t;
    EXPECT_TRUE(c.follow) << t;
  }
  for (const char* f : {"false", "0", "no"}) {
    c.disable_wal = true;
    ASSERT_TRUE(set_from_text(c, "disable_wal", f, "test").ok()) << f;
    EXPECT_FALSE(c.disable_wal) << f;
  }
  ASSERT_TRUE(set_from_text(c, "marketplaces", " FR , DE,,JP ", "test").ok());
  EXPECT_EQ(c.marketplaces, (std::vector<std::string>{"FR", "DE", "JP"}));
  ASSERT_TRUE(set_from_text(c, "source", "file:x.jsonl", "test").ok());
  EXPECT_EQ(c.file_path(), "x.jsonl");
}

TEST(ConfigText, BadValuesNameTheOrigin) {
  Config c;
  Status st = set_from_text(c, "batch_size", "12x", "flag --batch-size");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "flag --batch-size")) << st.message();
  EXPECT_TRUE(contains(st.message(), "12x")) << st.message();
  EXPECT_EQ(c.batch_size, 2000);

  st = set_from_text(c, "follow", "maybe", "origin-X");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "origin-X")) << st.message();
  EXPECT_TRUE(contains(st.message(), "maybe")) << st.message();

  st = set_from_text(c, "nope", "1", "origin-Y");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "origin-Y")) << st.message();
  EXPECT_TRUE(contains(st.message(), "nope")) << st.message();

  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"batch_size", "0"},
           {"batch_size", "1000001"},
           {"batch_size", "-5"},
           {"batch_wait_ms", "-1"},
           {"batch_wait_ms", "60001"},
           {"stats_interval_s", "-1"},
           {"max_record_bytes", "63"},
           {"max_record_bytes", "67108865"},
           {"marketplaces", " , "},
           {"log_level", "loud"},
           {"source", "s3:bucket"},
           {"source", "file:"},
           {"topic", ""},
           {"data_dir", ""},
           {"brokers", ""},
           {"group", ""},
           {"batch_size", "99999999999999999999999"},
       }) {
    Config fresh;
    st = set_from_text(fresh, key, value, "where-" + key);
    EXPECT_FALSE(st.ok()) << key << "=" << value;
    EXPECT_TRUE(contains(st.message(), "where-" + key)) << st.message();
  }
  // The boundaries themselves are accepted.
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"batch_size", "1"},
           {"batch_size", "1000000"},
           {"batch_wait_ms", "0"},
           {"batch_wait_ms", "60000"},
           {"max_record_bytes", "64"},
           {"max_record_bytes", "67108864"},
           {"log_level", "warn"},
           {"dlq_topic", ""},
       }) {
    Config fresh;
    st = set_from_text(fresh, key, value, "o");
    EXPECT_TRUE(st.ok()) << key << "=" << value << ": " << st.message();
  }
}

// ---------------------------------------------------------------- TOML file

TEST(ConfigFile, EverySettingKindAndTheKafkaTable) {
  TempDir dir;
  std::string path = write_file(dir, "carelog.toml",
                                {
                                    "# a comment",
                                    "source = \"file:feed.jsonl\"",
                                    "brokers = \"b1:9092,b2:9092\"",
                                    "topic = \"events\"",
                                    "group = \"g1\"",
                                    "dlq_topic = \"dead\"",
                                    "data_dir = \"/var/lib/carelog\"",
                                    "http = \"0.0.0.0:9000\"",
                                    "batch_size = 500",
                                    "batch_wait_ms = 0",
                                    "stats_interval_s = 0",
                                    "max_record_bytes = 4096",
                                    "follow = true",
                                    "disable_wal = true",
                                    "log_level = \"debug\"",
                                    "marketplaces = [",
                                    "  \"FR\",",
                                    "  \"DE\",",
                                    "]",
                                    "",
                                    "[kafka]",
                                    "\"security.protocol\" = \"SASL_SSL\"",
                                    "sasl.mechanism = \"PLAIN\"",
                                    "\"fetch.max.bytes\" = 1048576",
                                    "\"enable.ssl.certificate.verification\" = false",
                                });
  Config c;
  Status st = load_config_file(path, c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.config_file, path);
  EXPECT_EQ(c.source, "file:feed.jsonl");
  EXPECT_EQ(c.brokers, "b1:9092,b2:9092");
  EXPECT_EQ(c.topic, "events");
  EXPECT_EQ(c.group, "g1");
  EXPECT_EQ(c.dlq_topic, "dead");
  EXPECT_EQ(c.effective_dlq_topic(), "dead");
  EXPECT_EQ(c.data_dir, "/var/lib/carelog");
  EXPECT_EQ(c.http, "0.0.0.0:9000");
  EXPECT_EQ(c.batch_size, 500);
  EXPECT_EQ(c.batch_wait_ms, 0);
  EXPECT_EQ(c.stats_interval_s, 0);
  EXPECT_EQ(c.max_record_bytes, 4096);
  EXPECT_TRUE(c.follow);
  EXPECT_TRUE(c.disable_wal);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.marketplaces, (std::vector<std::string>{"FR", "DE"}));
  EXPECT_EQ(c.kafka, (std::map<std::string, std::string>{
                         {"security.protocol", "SASL_SSL"},
                         {"sasl.mechanism", "PLAIN"},  // unquoted dotted key: a nested table in TOML
                         {"fetch.max.bytes", "1048576"},
                         {"enable.ssl.certificate.verification", "false"},
                     }));
}

TEST(ConfigFile, KeysNotInTheFileKeepTheirDefaults) {
  TempDir dir;
  std::string path = write_file(dir, "c.toml", {"batch_size = 42"});
  Config c;
  ASSERT_TRUE(load_config_file(path, c).ok());
  EXPECT_EQ(c.batch_size, 42);
  EXPECT_EQ(c.topic, "carelog.events");
  EXPECT_EQ(c.marketplaces.size(), 13u);
  EXPECT_FALSE(c.follow);
}

TEST(ConfigFile, EmptyFileIsValid) {
  TempDir dir;
  std::string path = write_file(dir, "empty.toml", {});
  Config c;
  Status st = load_config_file(path, c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.config_file, path);
  EXPECT_EQ(c.batch_size, 2000);
}

// A file error names the file, the line and the key.
void expect_file_error(const std::string& path, int line, const std::string& key, const std::string& also = "") {
  Config c;
  Status st = load_config_file(path, c);
  ASSERT_FALSE(st.ok()) << "expected an error for " << path;
  const std::string& m = st.message();
  EXPECT_TRUE(contains(m, path + ":" + std::to_string(line) + ":")) << m;
  if (!key.empty()) {
    EXPECT_TRUE(contains(m, "'" + key + "'")) << m;
  }
  if (!also.empty()) {
    EXPECT_TRUE(contains(m, also)) << m;
  }
  // The same error stops resolve_config, whichever way the file was named.
  auto env = fake_env({{"CARELOG_CONFIG", path}});
  Config out;
  Status st2 = resolve_config(std::nullopt, {}, env, out);
  ASSERT_FALSE(st2.ok());
  EXPECT_EQ(st2.message(), m);
  Status st3 = resolve_config(path, {}, fake_env(), out);
  ASSERT_FALSE(st3.ok());
  EXPECT_EQ(st3.message(), m);
}

TEST(ConfigFileErrors, UnknownKeyNamesFileLineAndKey) {
  TempDir dir;
  std::string path = write_file(dir, "unknown.toml", {
                                                         "topic = \"events\"",
                                                         "",
                                                         "# batch size below",
                                                         "batch_size = 10",
                                                         "bach_size = 10",
                                                     });
  expect_file_error(path, 5, "bach_size", "unknown key");
}

TEST(ConfigFileErrors, UnknownTableNamesItsHeaderLine) {
  TempDir dir;
  std::string path = write_file(dir, "table.toml", {"topic = \"events\"", "[server]", "port = 8080"});
  expect_file_error(path, 2, "server", "unknown key");
}

TEST(ConfigFileErrors, StringWhereIntegerExpected) {
  TempDir dir;
  std::string path = write_file(dir, "type.toml", {
                                                      "topic = \"events\"",
                                                      "group = \"g\"",
                                                      "batch_size = \"500\"",
                                                  });
  expect_file_error(path, 3, "batch_size", "integer");
}

TEST(ConfigFileErrors, OtherWrongTypes) {
  TempDir dir;
  expect_file_error(write_file(dir, "a.toml", {"", "topic = 7"}), 2, "topic", "string");
  expect_file_error(write_file(dir, "b.toml", {"follow = \"yes\""}), 1, "follow", "true or false");
  expect_file_error(write_file(dir, "c.toml", {"batch_wait_ms = 2.5"}), 1, "batch_wait_ms", "integer");
  expect_file_error(write_file(dir, "d.toml", {"marketplaces = \"FR,DE\""}), 1, "marketplaces", "array");
  // A bad item of a multi-line array: the item's line.
  expect_file_error(write_file(dir, "e.toml", {"marketplaces = [", "  \"FR\",", "  3,", "]"}), 3, "marketplaces",
                    "array of strings");
  expect_file_error(write_file(dir, "f.toml", {"kafka = \"x\""}), 1, "kafka", "table");
  expect_file_error(write_file(dir, "g.toml", {"[kafka]", "\"linger.ms\" = 2.5"}), 2, "kafka.linger.ms");
}

// Tokens never fail open: an empty or blank token, a token shared by two
// identities, a seller id that is not one stop start-up with file, line and key.
TEST(ConfigFileErrors, TokensThatWouldTurnAuthenticationOffOrShareAnIdentity) {
  TempDir dir;
  expect_file_error(write_file(dir, "a.toml", {"admin_tokens = [\"\"]"}), 1, "admin_tokens", "empty token");
  expect_file_error(write_file(dir, "b.toml", {"admin_tokens = [\" \"]"}), 1, "admin_tokens", "printable");
  expect_file_error(write_file(dir, "c.toml", {"admin_tokens = [\",\"]"}), 1, "admin_tokens", "','");
  expect_file_error(write_file(dir, "d.toml", {"admin_tokens = [", "  \"root-token-1\",", "  \"\",", "]"}), 3,
                    "admin_tokens", "empty token");
  expect_file_error(write_file(dir, "e.toml", {"[seller_tokens]", "A2SELLER0001 = \"\""}), 2,
                    "seller_tokens.A2SELLER0001", "empty token");
  expect_file_error(write_file(dir, "f.toml", {"[seller_tokens]", "\"A2/../B\" = \"tok-a\""}), 2,
                    "seller_tokens.A2/../B", "seller id");
  expect_file_error(write_file(dir, "g.toml", {"[seller_tokens]", "A1 = \"same-token\"", "A2 = \"same-token\""}),
                    3, "seller_tokens.A2", "also seller A1's");
  expect_file_error(
      write_file(dir, "h.toml", {"admin_tokens = [\"root-token\"]", "[seller_tokens]", "A1 = \"root-token\""}), 3,
      "seller_tokens.A1", "also an admin token");
  expect_file_error(write_file(dir, "i.toml", {"[seller_tokens]", "A1 = 7"}), 2, "seller_tokens.A1", "token string");
}

TEST(ConfigFile, TokensFromTheEnvironmentOrAFile) {
  TempDir dir;
  {
    std::ofstream secret(dir / "seller.token");
    secret << "tok-from-file\n";
  }
  std::string path = write_file(dir, "t.toml", {"admin_tokens = [{ env = \"ROOT_TOKEN\" }, \"root-2\"]",
                                                 "[seller_tokens]", "A1 = { file = \"seller.token\" }",
                                                 "A2 = { env = \"A2_TOKEN\" }"});
  Config c;
  ASSERT_TRUE(load_config_file(path, c, fake_env({{"ROOT_TOKEN", "root-1"}, {"A2_TOKEN", "tok-a2"}})).ok());
  EXPECT_EQ(c.admin_tokens, (std::vector<std::string>{"root-1", "root-2"}));
  EXPECT_EQ(c.seller_tokens.at("A1"), "tok-from-file");
  EXPECT_EQ(c.seller_tokens.at("A2"), "tok-a2");
  // A variable that is not set is an error, not "no token".
  Config missing;
  Status st = load_config_file(path, missing, fake_env({{"A2_TOKEN", "tok-a2"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), path + ":1:")) << st.message();
  EXPECT_TRUE(contains(st.message(), "ROOT_TOKEN is not set")) << st.message();
}

TEST(ConfigFileErrors, AConfigPathThatIsADirectoryStopsStartUp) {
  TempDir dir;
  Config c;
  Status st = load_config_file(dir.str(), c);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "not a file")) << st.message();
  Config out;
  EXPECT_FALSE(resolve_config(dir.str(), {}, fake_env(), out).ok());
}

TEST(ConfigEnvErrors, BlankAdminTokensFromTheEnvironmentOrAFlag) {
  for (const std::string value : {"", " ", ",", "root-1,", "root-1, ,root-2"}) {
    Config out;
    Status st = resolve_config(std::nullopt, {}, fake_env({{"CARELOG_ADMIN_TOKENS", value}}), out);
    ASSERT_FALSE(st.ok()) << "'" << value << "'";
    EXPECT_TRUE(contains(st.message(), "CARELOG_ADMIN_TOKENS")) << st.message();
    Status flag = resolve_config(std::nullopt, {{"admin_tokens", value}}, fake_env(), out);
    EXPECT_FALSE(flag.ok()) << "'" << value << "'";
  }
  Config out;
  ASSERT_TRUE(resolve_config(std::nullopt, {}, fake_env({{"CARELOG_ADMIN_TOKENS", "root-1, root-2"}}), out).ok());
  EXPECT_EQ(out.admin_tokens, (std::vector<std::string>{"root-1", "root-2"}));
}

TEST(ConfigValidate, TheHttpPortIsANumberOfSixteenBits) {
  for (const std::string bad : {"127.0.0.1:83836", "127.0.0.1:-1", "127.0.0.1:80x", "127.0.0.1:", "0.0.0.0:65536"}) {
    Config out;
    Status st = resolve_config(std::nullopt, {{"http", bad}}, fake_env(), out);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_TRUE(contains(st.message(), "http")) << st.message();
    EXPECT_TRUE(contains(st.message(), "0..65535")) << st.message();
  }
  for (const std::string good : {"127.0.0.1:0", "127.0.0.1:8080", "[::1]:65535", "off"}) {
    Config out;
    EXPECT_TRUE(resolve_config(std::nullopt, {{"http", good}}, fake_env(), out).ok()) << good;
  }
}

TEST(ConfigFileErrors, OutOfRangeValue) {
  TempDir dir;
  std::string path = write_file(dir, "range.toml", {
                                                       "topic = \"events\"",
                                                       "data_dir = \"d\"",
                                                       "",
                                                       "batch_size = 0",
                                                   });
  expect_file_error(path, 4, "batch_size", "1..1000000");
  expect_file_error(write_file(dir, "lvl.toml", {"log_level = \"loud\""}), 1, "log_level", "loud");
  expect_file_error(write_file(dir, "mp.toml", {"marketplaces = []"}), 1, "marketplaces");
  expect_file_error(write_file(dir, "src.toml", {"", "", "source = \"ftp:x\""}), 3, "source", "ftp:x");
  expect_file_error(write_file(dir, "top.toml", {"topic = \"\""}), 1, "topic", "empty");
}

TEST(ConfigFileErrors, SyntaxErrorNamesFileAndLine) {
  TempDir dir;
  std::string path = write_file(dir, "syntax.toml", {
                                                        "topic = \"events\"",
                                                        "group = \"g\"",
                                                        "batch_size = ",
                                                        "follow = true",
                                                    });
  expect_file_error(path, 3, "");
  std::string path2 = write_file(dir, "syntax2.toml", {
                                                          "# fine",
                                                          "topic = \"events\"",
                                                          "topic = \"again\"",
                                                      });
  expect_file_error(path2, 3, "");
  std::string path3 = write_file(dir, "syntax3.toml", {"[kafka", "x = 1"});
  expect_file_error(path3, 1, "");
}

TEST(ConfigFileErrors, MissingFileIsNamed) {
  TempDir dir;
  std::string path = dir / "missing.toml";
  Config c;
  Status st = load_config_file(path, c);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), path)) << st.message();
  // There is no line 0 in a file.
  EXPECT_FALSE(contains(st.message(), path + ":0")) << st.message();
  Status st2 = resolve_config(std::nullopt, {}, fake_env({{"CARELOG_CONFIG", path}}), c);
  ASSERT_FALSE(st2.ok());
  EXPECT_TRUE(contains(st2.message(), path)) << st2.message();
}

// ---------------------------------------------------------------- precedence

TEST(ConfigPrecedence, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  TempDir dir;
  std::string path = write_file(dir, "p.toml", {
                                                   "batch_size = 100",
                                                   "topic = \"file-topic\"",
                                                   "follow = true",
                                                   "marketplaces = [\"FR\"]",
                                                   "group = \"file-group\"",
                                               });
  auto env = fake_env({
      {"CARELOG_BATCH_SIZE", "200"},
      {"CARELOG_TOPIC", "env-topic"},
      {"CARELOG_FOLLOW", "false"},
      {"CARELOG_MARKETPLACES", "DE,IT"},
      {"CARELOG_DATA_DIR", "env-dir"},
  });
  std::map<std::string, std::string> flags{
      {"batch_size", "300"},
      {"topic", "flag-topic"},
      {"follow", "true"},
      {"marketplaces", "JP"},
  };

  Config c;
  Status st = resolve_config(path, flags, env, c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.batch_size, 300);                                   // flag
  EXPECT_EQ(c.topic, "flag-topic");                               // flag
  EXPECT_TRUE(c.follow);                                          // flag
  EXPECT_EQ(c.marketplaces, std::vector<std::string>{"JP"});      // flag
  EXPECT_EQ(c.data_dir, "env-dir");                               // env only
  EXPECT_EQ(c.group, "file-group");                               // file only
  EXPECT_EQ(c.http, "127.0.0.1:8080");                            // default
  EXPECT_EQ(c.config_file, path);

  // Without flags: the environment wins over the file.
  st = resolve_config(path, {}, env, c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.batch_size, 200);
  EXPECT_EQ(c.topic, "env-topic");
  EXPECT_FALSE(c.follow);
  EXPECT_EQ(c.marketplaces, (std::vector<std::string>{"DE", "IT"}));
  EXPECT_EQ(c.group, "file-group");

  // Without flags or environment: the file wins over the defaults.
  st = resolve_config(path, {}, fake_env(), c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.batch_size, 100);
  EXPECT_EQ(c.topic, "file-topic");
  EXPECT_TRUE(c.follow);
  EXPECT_EQ(c.marketplaces, std::vector<std::string>{"FR"});
  EXPECT_EQ(c.data_dir, "data");

  // Nothing: the defaults.
  st = resolve_config(std::nullopt, {}, fake_env(), c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.batch_size, 2000);
  EXPECT_EQ(c.topic, "carelog.events");
  EXPECT_FALSE(c.follow);
  EXPECT_EQ(c.config_file, "");
}

TEST(ConfigPrecedence, EveryCarelogVariableIsRead) {
  auto env = fake_env({
      {"CARELOG_SOURCE", "file:f.jsonl"},
      {"CARELOG_BROKERS", "k:1"},
      {"CARELOG_TOPIC", "t"},
      {"CARELOG_GROUP", "g"},
      {"CARELOG_DLQ_TOPIC", "dl"},
      {"CARELOG_DATA_DIR", "dd"},
      {"CARELOG_HTTP", "h:1"},
      {"CARELOG_BATCH_SIZE", "3"},
      {"CARELOG_BATCH_WAIT_MS", "4"},
      {"CARELOG_STATS_INTERVAL_S", "5"},
      {"CARELOG_MAX_RECORD_BYTES", "600"},
      {"CARELOG_FOLLOW", "yes"},
      {"CARELOG_DISABLE_WAL", "1"},
      {"CARELOG_LOG_LEVEL", "error"},
      {"CARELOG_MARKETPLACES", "US"},
  });
  Config c;
  Status st = resolve_config(std::nullopt, {}, env, c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.source, "file:f.jsonl");
  EXPECT_EQ(c.brokers, "k:1");
  EXPECT_EQ(c.topic, "t");
  EXPECT_EQ(c.group, "g");
  EXPECT_EQ(c.dlq_topic, "dl");
  EXPECT_EQ(c.data_dir, "dd");
  EXPECT_EQ(c.http, "h:1");
  EXPECT_EQ(c.batch_size, 3);
  EXPECT_EQ(c.batch_wait_ms, 4);
  EXPECT_EQ(c.stats_interval_s, 5);
  EXPECT_EQ(c.max_record_bytes, 600);
  EXPECT_TRUE(c.follow);
  EXPECT_TRUE(c.disable_wal);
  EXPECT_EQ(c.log_level, "error");
  EXPECT_EQ(c.marketplaces, std::vector<std::string>{"US"});
}

TEST(ConfigPrecedence, CarelogConfigVariableSelectsTheFile) {
  TempDir dir;
  std::string a = write_file(dir, "a.toml", {"topic = \"from-a\""});
  std::string b = write_file(dir, "b.toml", {"topic = \"from-b\""});
  Config c;
  Status st = resolve_config(std::nullopt, {}, fake_env({{"CARELOG_CONFIG", a}}), c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.topic, "from-a");
  EXPECT_EQ(c.config_file, a);
  // An explicit --config beats CARELOG_CONFIG.
  st = resolve_config(b, {}, fake_env({{"CARELOG_CONFIG", a}}), c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.topic, "from-b");
  EXPECT_EQ(c.config_file, b);
}

TEST(ConfigPrecedence, LaterLayerRepairsNothingBadInAnEarlierOne) {
  // A bad file stops start-up even if the environment would override the key.
  TempDir dir;
  std::string path = write_file(dir, "bad.toml", {"batch_size = 0"});
  Config c;
  Status st = resolve_config(path, {{"batch_size", "10"}}, fake_env({{"CARELOG_BATCH_SIZE", "10"}}), c);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), path + ":1:")) << st.message();
}

// ---------------------------------------------------------------- env and flag errors

TEST(ConfigEnvErrors, NameTheVariable) {
  Config out;
  out.topic = "untouched";
  Status st = resolve_config(std::nullopt, {}, fake_env({{"CARELOG_BATCH_SIZE", "abc"}}), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "CARELOG_BATCH_SIZE")) << st.message();
  EXPECT_TRUE(contains(st.message(), "abc")) << st.message();
  EXPECT_EQ(out.topic, "untouched");  // no partial result

  st = resolve_config(std::nullopt, {}, fake_env({{"CARELOG_BATCH_SIZE", "0"}}), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "CARELOG_BATCH_SIZE")) << st.message();

  st = resolve_config(std::nullopt, {}, fake_env({{"CARELOG_FOLLOW", "maybe"}}), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "CARELOG_FOLLOW")) << st.message();

  st = resolve_config(std::nullopt, {}, fake_env({{"CARELOG_LOG_LEVEL", "chatty"}}), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "CARELOG_LOG_LEVEL")) << st.message();

  st = resolve_config(std::nullopt, {}, fake_env({{"CARELOG_DATA_DIR", ""}}), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "CARELOG_DATA_DIR")) << st.message();

  // apply_environment alone names it too.
  Config c;
  st = apply_environment(c, fake_env({{"CARELOG_MAX_RECORD_BYTES", "12"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "CARELOG_MAX_RECORD_BYTES")) << st.message();
}

TEST(ConfigEnvErrors, BadVariableIsAnErrorEvenIfAFlagOverridesIt) {
  // The environment is applied before the flags; a bad variable is reported
  // rather than silently hidden.
  Config out;
  Status st = resolve_config(std::nullopt, {{"batch_size", "10"}},
                             fake_env({{"CARELOG_BATCH_SIZE", "abc"}}), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "CARELOG_BATCH_SIZE")) << st.message();
}

TEST(ConfigFlagErrors, NameTheFlag) {
  Config out;
  Status st = resolve_config(std::nullopt, {{"batch_size", "abc"}}, fake_env(), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "--batch-size")) << st.message();
  EXPECT_TRUE(contains(st.message(), "abc")) << st.message();

  st = resolve_config(std::nullopt, {{"batch_size", "0"}}, fake_env(), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "--batch-size")) << st.message();

  st = resolve_config(std::nullopt, {{"disable_wal", "perhaps"}}, fake_env(), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "--disable-wal")) << st.message();

  st = resolve_config(std::nullopt, {{"max_record_bytes", "1"}}, fake_env(), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "--max-record-bytes")) << st.message();

  st = resolve_config(std::nullopt, {{"source", "file:"}}, fake_env(), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "--source")) << st.message();

  st = resolve_config(std::nullopt, {{"no_such_setting", "1"}}, fake_env(), out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "no_such_setting")) << st.message();
}

TEST(ConfigValidate, NamesTheBadSetting) {
  Config c;
  c.batch_size = 0;
  Status st = validate_config(c);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "batch_size")) << st.message();
  c = Config();
  c.marketplaces.clear();
  st = validate_config(c);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "marketplaces")) << st.message();
  c = Config();
  c.topic.clear();
  st = validate_config(c);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "topic")) << st.message();
}

}  // namespace
}  // namespace carelog::config_test

namespace carelog::config_test {
namespace {

TEST(ConfigHoliday, DefaultMarketplaceAndYearTablesAndCategories) {
  testing::TempDir dir;
  std::string path = dir / "h.toml";
  {
    std::ofstream f(path);
    f << "non_returnable_categories = [\"grocery\", \"custom\", \"media\"]\n"
         "[holiday.default]\nship_from = \"11-15\"\n"
         "[holiday.DE]\nreturn_until = \"01-15\"\n"
         "[holiday.\"FR.2012\"]\nship_from = \"10-01\"\nship_to = \"12-24\"\nreturn_until = \"02-28\"\n";
  }
  Config c;
  Status st = load_config_file(path, c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.non_returnable_categories, (std::vector<std::string>{"grocery", "custom", "media"}));
  ASSERT_EQ(c.holidays.size(), 3u);
  EXPECT_EQ(c.holidays["default"].from_month, 11);
  EXPECT_EQ(c.holidays["default"].from_day, 15);
  EXPECT_EQ(c.holidays["default"].until_month, 1);  // unset fields keep the default
  EXPECT_EQ(c.holidays["DE"].until_day, 15);
  EXPECT_EQ(c.holidays["FR.2012"].to_day, 24);
  EXPECT_EQ(c.holidays["FR.2012"].until_month, 2);
}

TEST(ConfigHoliday, BadDatesAndScopesNameFileLineAndKey) {
  testing::TempDir dir;
  std::string path = dir / "bad.toml";
  {
    std::ofstream f(path);
    f << "[holiday.FR]\nship_from = \"1st of November\"\n";
  }
  Config c;
  Status st = load_config_file(path, c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path + ":2: key 'holiday.FR.ship_from'"), std::string::npos) << st.message();
  {
    std::ofstream f(path);
    f << "[holiday.France]\nship_from = \"11-01\"\n";
  }
  st = load_config_file(path, c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("holiday.France"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace carelog::config_test
