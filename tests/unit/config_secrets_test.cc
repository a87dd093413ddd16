// Secrets in the [kafka] table: values read from the environment
// ({ env = "NAME" }) or a file ({ file = "/path" }) when the config file is
// loaded, errors that name the file, line and key (never the value), and the
// masking of secret properties wherever the table is described.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "connectors/kafka_client.h"
#include "tests/unit/test_support.h"

namespace carelog::config_secrets_test {
namespace {

using testing::TempDir;

using Getenv = std::function<const char*(const char*)>;
Getenv fake_env(std::map<std::string, std::string> vars = {}) {
  auto m = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [m](const char* name) -> const char* {
    auto it = m->find(name);
    return it == m->end() ? nullptr : it->second.c_str();
  };
}

std::string write_file(const TempDir& dir, const std::string& name,
                       const std::vector<std::string>& lines) {
  std::string path = dir / name;
  std::ofstream out(path, std::ios::binary);
  for (const auto& l : lines) out << l << "\n";
  return path;
}

std::string write_raw(const TempDir& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir / name;
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  return path;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr const char* kSecret = "hunter2-not-in-any-message";

// Loads `lines` as a config file; the [kafka] table, or the error.
Status load(const TempDir& dir, const std::vector<std::string>& lines, Config& c,
            const Getenv& env = fake_env({{"KAFKA_PASSWORD", kSecret}})) {
  return load_config_file(write_file(dir, "carelog.toml", lines), c, env);
}

// An error that names the file, the line and the key, and holds `also`.
void expect_error(const Status& st, const std::string& path, int line, const std::string& key,
                  const std::string& also) {
  ASSERT_FALSE(st.ok());
  const std::string& m = st.message();
  EXPECT_TRUE(contains(m, path + ":" + std::to_string(line) + ":")) << m;
  EXPECT_TRUE(contains(m, "'" + key + "'")) << m;
  EXPECT_TRUE(contains(m, also)) << m;
  EXPECT_FALSE(contains(m, kSecret)) << m;
}

// ---------------------------------------------------------------- references

TEST(ConfigSecrets, ValueFromEnvironmentVariable) {
  TempDir dir;
  Config c;
  Status st = load(dir,
                   {"[kafka]", "\"security.protocol\" = \"SASL_PLAINTEXT\"",
                    "\"sasl.password\" = { env = \"KAFKA_PASSWORD\" }"},
                   c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.kafka, (std::map<std::string, std::string>{{"security.protocol", "SASL_PLAINTEXT"},
                                                         {"sasl.password", kSecret}}));
}

TEST(ConfigSecrets, EveryTomlSpellingOfTheReferenceIsTheSame) {
  for (const std::string& line : {std::string("sasl.password = { env = \"KAFKA_PASSWORD\" }"),
                                  std::string("sasl.password.env = \"KAFKA_PASSWORD\""),
                                  std::string("\"sasl.password\".env = \"KAFKA_PASSWORD\"")}) {
    TempDir dir;
    Config c;
    Status st = load(
        dir, {"[kafka]", "sasl.mechanism = \"PLAIN\"", "sasl.username = \"carelog\"", line}, c);
    ASSERT_TRUE(st.ok()) << line << ": " << st.message();
    EXPECT_EQ(c.kafka, (std::map<std::string, std::string>{{"sasl.mechanism", "PLAIN"},
                                                           {"sasl.username", "carelog"},
                                                           {"sasl.password", kSecret}}))
        << line;
  }
}

TEST(ConfigSecrets, AnyPropertyMayBeAReference) {
  TempDir dir;
  Config c;
  Status st = load(dir, {"[kafka]", "sasl.username = { env = \"KAFKA_USER\" }"}, c,
                   fake_env({{"KAFKA_USER", "carelog"}}));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.kafka.at("sasl.username"), "carelog");
}

TEST(ConfigSecrets, ValueFromFileWithoutTrailingNewlines) {
  TempDir dir;
  std::string lf = write_raw(dir, "lf", std::string(kSecret) + "\n");
  std::string crlf = write_raw(dir, "crlf", std::string(kSecret) + "\r\n");
  std::string bare = write_raw(dir, "bare", kSecret);
  std::string pem = write_raw(dir, "key.pem", "-----BEGIN-----\nAAAA\n-----END-----\n\n");
  Config c;
  Status st = load(dir,
                   {"[kafka]", "\"sasl.password\" = { file = \"" + lf + "\" }",
                    "\"ssl.key.password\" = { file = \"" + crlf + "\" }",
                    "\"sasl.oauthbearer.client.secret\" = { file = \"" + bare + "\" }",
                    "\"ssl.key.pem\" = { file = \"" + pem + "\" }"},
                   c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.kafka.at("sasl.password"), kSecret);
  EXPECT_EQ(c.kafka.at("ssl.key.password"), kSecret);
  EXPECT_EQ(c.kafka.at("sasl.oauthbearer.client.secret"), kSecret);
  EXPECT_EQ(c.kafka.at("ssl.key.pem"),
            "-----BEGIN-----\nAAAA\n-----END-----");  // inner newlines kept
}

TEST(ConfigSecrets, RelativeFileIsTakenFromTheConfigFilesDirectory) {
  TempDir dir;
  std::filesystem::create_directories(dir / "secrets");
  write_raw(dir, "secrets/kafka-password", std::string(kSecret) + "\n");
  Config c;
  Status st = load(dir, {"[kafka]", "sasl.password = { file = \"secrets/kafka-password\" }"}, c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.kafka.at("sasl.password"), kSecret);
}

TEST(ConfigSecrets, ResolveConfigReadsReferencesThroughItsEnvironment) {
  TempDir dir;
  std::string path =
      write_file(dir, "c.toml", {"[kafka]", "sasl.password = { env = \"KAFKA_PASSWORD\" }"});
  Config out;
  Status st = resolve_config(path, {}, fake_env({{"KAFKA_PASSWORD", kSecret}}), out);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(out.kafka.at("sasl.password"), kSecret);

  st = resolve_config(std::nullopt, {}, fake_env({{"CARELOG_CONFIG", path}}), out);
  expect_error(st, path, 2, "kafka.sasl.password",
               "environment variable KAFKA_PASSWORD is not set");
}

// ---------------------------------------------------------------- errors

TEST(ConfigSecrets, MissingEnvironmentVariableNamesFileLineKeyAndVariable) {
  TempDir dir;
  Config c;
  Status st = load(dir,
                   {"[kafka]", "\"security.protocol\" = \"SASL_SSL\"", "",
                    "sasl.password = { env = \"NOT_SET_ANYWHERE\" }"},
                   c);
  expect_error(st, dir / "carelog.toml", 4, "kafka.sasl.password",
               "environment variable NOT_SET_ANYWHERE is not set");
}

TEST(ConfigSecrets, EmptyEnvironmentVariableIsAnError) {
  TempDir dir;
  Config c;
  Status st = load(dir, {"[kafka]", "sasl.password.env = \"KAFKA_PASSWORD\""}, c,
                   fake_env({{"KAFKA_PASSWORD", ""}}));
  expect_error(st, dir / "carelog.toml", 2, "kafka.sasl.password",
               "environment variable KAFKA_PASSWORD is empty");
}

TEST(ConfigSecrets, UnreadableFileNamesFileLineKeyAndTheSecretFile) {
  TempDir dir;
  std::string missing = dir / "no-such-secret";
  Config c;
  Status st = load(dir, {"[kafka]", "\"ssl.key.password\" = { file = \"" + missing + "\" }"}, c);
  expect_error(st, dir / "carelog.toml", 2, "kafka.ssl.key.password",
               "cannot read file " + missing + ": No such file or directory");

  Config d;  // a directory is not a file
  std::filesystem::create_directories(dir / "a-dir");
  st = load(dir, {"[kafka]", "", "sasl.password = { file = \"a-dir\" }"}, d);
  expect_error(st, dir / "carelog.toml", 3, "kafka.sasl.password",
               "cannot read file " + (dir / "a-dir"));
}

TEST(ConfigSecrets, EmptyFileIsAnError) {
  TempDir dir;
  std::string empty = write_raw(dir, "empty", "\n");
  Config c;
  Status st = load(dir, {"[kafka]", "sasl.password = { file = \"" + empty + "\" }"}, c);
  expect_error(st, dir / "carelog.toml", 2, "kafka.sasl.password", "file " + empty + " is empty");
}

TEST(ConfigSecrets, MalformedReferencesAreErrors) {
  TempDir dir;
  Config a;
  expect_error(
      load(dir, {"[kafka]", "sasl.password = { env = \"KAFKA_PASSWORD\", file = \"/x\" }"}, a),
      dir / "carelog.toml", 2, "kafka.sasl.password",
      "expected { env = \"NAME\" } or { file = \"PATH\" }");
  Config b;
  expect_error(load(dir, {"[kafka]", "sasl.password = { env = 42 }"}, b), dir / "carelog.toml", 2,
               "kafka.sasl.password", "'env' expects a non-empty string");
  Config c;
  expect_error(load(dir, {"[kafka]", "sasl.password = { file = \"\" }"}, c), dir / "carelog.toml",
               2, "kafka.sasl.password", "'file' expects a non-empty string");
}

// ---------------------------------------------------------------- never logged

TEST(ConfigSecrets, SecretPropertiesAreRecognised) {
  for (const char* name : {"sasl.password", "ssl.key.password", "ssl.keystore.password",
                           "sasl.oauthbearer.client.secret", "SASL.PASSWORD", "ssl.key.pem",
                           "sasl.oauthbearer.config", "some.future.secret.thing"}) {
    EXPECT_TRUE(is_secret_kafka_property(name)) << name;
  }
  for (const char* name : {"sasl.username", "sasl.mechanism", "security.protocol",
                           "ssl.ca.location", "ssl.certificate.location", "bootstrap.servers"}) {
    EXPECT_FALSE(is_secret_kafka_property(name)) << name;
  }
}

TEST(ConfigSecrets, DescriptionMasksSecrets) {
  std::map<std::string, std::string> props{{"security.protocol", "SASL_PLAINTEXT"},
                                           {"sasl.mechanism", "PLAIN"},
                                           {"sasl.username", "carelog"},
                                           {"sasl.password", kSecret},
                                           {"ssl.key.password", kSecret},
                                           {"sasl.oauthbearer.client.secret", kSecret}};
  std::string d = describe_kafka_properties(props);
  EXPECT_FALSE(contains(d, kSecret)) << d;
  EXPECT_EQ(d,
            "sasl.mechanism=PLAIN sasl.oauthbearer.client.secret=*** sasl.password=*** "
            "sasl.username=carelog security.protocol=SASL_PLAINTEXT ssl.key.password=***");
  EXPECT_EQ(describe_kafka_properties({}), "");
}

TEST(ConfigSecrets, RejectedSecretPropertyErrorHoldsNoValue) {
  KafkaConf conf;
  Status st = make_kafka_conf("127.0.0.1:9092", {{"no.such.password", kSecret}}, {}, conf);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.message(), "'no.such.password'")) << st.message();
  EXPECT_FALSE(contains(st.message(), kSecret)) << st.message();

  st = make_kafka_conf("127.0.0.1:9092", {{"sasl.username", "carelog"}, {"sasl.password", kSecret}},
                       {}, conf);
  EXPECT_TRUE(st.ok()) << st.message();
}

}  // namespace
}  // namespace carelog::config_secrets_test
