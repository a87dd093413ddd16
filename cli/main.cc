// The carelog command line: run the engine, publish feeds, manage topics and
// inspect the log. See README.md and spec/projections.md ("Engine command line").
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>

#include "cli/audit_commands.h"
#include "cli/forget_command.h"
#include "cli/log_commands.h"
#include "cli/query_command.h"
#include "cli/replay_command.h"
#include "cli/seller_commands.h"
#include "engine/projector.h"
#include "config/config.h"
#include "connectors/kafka_client.h"
#include "connectors/producer.h"
#include "connectors/runner.h"
#include "tools/feed_generator.h"

using namespace carelog;

namespace {

const char* env_lookup(const char* name) { return std::getenv(name); }

// Kafka client properties for the helper commands: the [kafka] table of the
// config file when one is given (or CARELOG_CONFIG).
bool kafka_properties(const std::optional<std::string>& config_path,
                      std::map<std::string, std::string>& props) {
  Config cfg;
  Status st = resolve_config(config_path, {}, env_lookup, cfg);
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
    return false;
  }
  props = cfg.kafka;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // What carelog writes is its user's alone: the data dir holds ids,
  // amounts, buyer keys and rejected records (directories 0700, files 0600).
  umask(0077);
  CLI::App app{"carelog: an event-sourced engine for marketplace sellers' after-sales care"};
  app.require_subcommand(1);

  // run
  auto* run = app.add_subcommand("run", "consume events into the log (Kafka or a JSONL file)");
  std::map<std::string, std::string> flag_values;
  std::optional<std::string> config_path;
  run->add_option("--config", config_path, "TOML config file (env CARELOG_CONFIG)");
  std::map<std::string, std::string> raw;
  for (const auto& s : kSettings) {
    std::string help = std::string(s.help) + " [env " + env_name(s) + ", key " + s.key + "]";
    if (s.kind == SettingKind::kBool) {
      // --follow alone means true; --follow=false is accepted too.
      run->add_flag(flag_name(s) + "{true}", raw[s.key], help);
    } else {
      run->add_option(flag_name(s), raw[s.key], help);
    }
  }

  // produce
  auto* produce = app.add_subcommand("produce", "publish a JSONL file of envelopes keyed by seller_id");
  std::string p_brokers = "127.0.0.1:9092", p_topic = "carelog.events", p_file;
  std::optional<std::string> p_config;
  produce->add_option("--brokers", p_brokers, "Kafka bootstrap servers")->capture_default_str();
  produce->add_option("--topic", p_topic, "topic")->capture_default_str();
  produce->add_option("--config", p_config, "TOML config ([kafka] properties)");
  produce->add_option("file", p_file, "JSONL file, one envelope per line")->required();

  // topics create
  auto* topics = app.add_subcommand("topics", "manage Kafka topics");
  topics->require_subcommand(1);
  auto* create = topics->add_subcommand("create", "create a topic (no error if it exists)");
  std::string t_brokers = "127.0.0.1:9092", t_topic;
  int t_partitions = 6;
  std::optional<std::string> t_config;
  create->add_option("--brokers", t_brokers, "Kafka bootstrap servers")->capture_default_str();
  create->add_option("--topic", t_topic, "topic")->required();
  create->add_option("--partitions", t_partitions, "partition count")->capture_default_str();
  create->add_option("--config", t_config, "TOML config ([kafka] properties)");
  std::vector<std::string> t_topic_configs;
  create->add_option("--topic-config", t_topic_configs,
                     "a topic config as NAME=VALUE (retention.ms=604800000, max.message.bytes=1048588); repeatable");

  // log
  auto* logc = app.add_subcommand("log", "inspect the event log of a data dir");
  logc->require_subcommand(1);
  std::string l_dir = "data";
  int64_t l_n = 10, l_partition = -1;
  auto* count = logc->add_subcommand("count", "events per partition and stored offsets");
  auto* tail = logc->add_subcommand("tail", "the last N records of each partition, as JSON lines");
  auto* verify = logc->add_subcommand("verify", "check every partition's hash chain (exit 1 if broken)");
  auto* rejected = logc->add_subcommand("rejected", "rejected records with their reasons, as JSON lines");
  for (auto* c : {count, tail, verify, rejected}) {
    c->add_option("--data-dir", l_dir, "data directory")->capture_default_str();
  }
  tail->add_option("-n", l_n, "records per partition")->capture_default_str();
  tail->add_option("--partition", l_partition, "only this partition");
  rejected->add_option("--limit", l_n, "at most this many")->capture_default_str();

  // query
  auto* query = app.add_subcommand("query", "answer a query from a data dir (as the HTTP API does)");
  std::string q_what, q_dir = "data", q_format = "json";
  std::map<std::string, std::string> q_params;
  query->add_option("what", q_what,
                    "response-times | returns | messages | account-health | return-settings | deadlines | history | rejected")
      ->required()
      ->check(CLI::IsMember({"response-times", "returns", "messages", "account-health", "return-settings",
                             "deadlines", "history", "rejected"}));
  query->add_option("--data-dir", q_dir, "data directory")->capture_default_str();
  query->add_option("--format", q_format, "json or table")->check(CLI::IsMember({"json", "table"}))->capture_default_str();
  std::string q_seller, q_order;
  query->add_option("--seller", q_seller, "seller id");
  query->add_option("--order", q_order, "order id (history)");
  std::optional<std::string> q_config;
  query->add_option("--config", q_config,
                    "the engine's TOML config (its return policy, for records past the last checkpoint)");
  for (const char* p : {"as_of", "status", "closed_by", "from", "to", "q", "limit", "cursor", "direction", "within"}) {
    std::string flag = std::string("--") + p;
    for (auto& c : flag) c = c == '_' ? '-' : c;
    query->add_option(flag, q_params[p], std::string("the API's '") + p + "' parameter");
  }

  // replay
  auto* replay = app.add_subcommand(
      "replay", "rebuild projections from the log into a new generation, then switch (beside a running engine too)");
  ReplayCommand rc;
  replay->add_option("--data-dir", rc.data_dir, "data directory")->capture_default_str();
  std::optional<std::string> r_config;
  replay->add_option("--config", r_config, "the engine's TOML config (its return policy)");
  std::vector<std::string> projection_choices = {"all"};
  for (const auto& n : projection_names()) projection_choices.push_back(n);
  replay->add_option("--projection", rc.projection, "which projection to rebuild (with the ones it reads)")
      ->check(CLI::IsMember(projection_choices))
      ->capture_default_str();
  auto* until_seq = replay->add_option("--until-seq", rc.until_seq, "stop every partition after this seq (engine stopped)");
  replay->add_option("--until", rc.until, "stop every partition before its first event after this RFC 3339 time "
                                          "(engine stopped)")
      ->excludes(until_seq);
  replay->add_option("--token", rc.token, "bearer token for a running engine's API (default $CARELOG_TOKEN)");

  // forget-buyer
  auto* forget = app.add_subcommand("forget-buyer", "erase a buyer: destroy their key, so their text reads [erased]");
  ForgetCommand fc;
  forget->add_option("--data-dir", fc.data_dir, "data directory")->capture_default_str();
  forget->add_option("--seller", fc.seller, "seller id")->required();
  forget->add_option("--buyer", fc.buyer, "buyer id")->required();
  std::optional<std::string> f_config;
  forget->add_option("--config", f_config, "the engine's TOML config (its return policy)");
  forget->add_option("--token", fc.token, "bearer token for a running engine's API (default $CARELOG_TOKEN)");

  // audit
  auto* audit = app.add_subcommand("audit", "prove what the log holds");
  audit->require_subcommand(1);
  auto* a_verify = audit->add_subcommand("verify", "walk every partition's hash chain (exit 1 if broken)");
  a_verify->add_option("--data-dir", l_dir, "data directory")->capture_default_str();

  // audit export
  auto* a_export = audit->add_subcommand("export", "a seller's (or an order's) envelopes, byte for byte, in log order");
  ExportOptions ex;
  std::string ex_order, ex_until;
  a_export->add_option("--data-dir", ex.data_dir, "data directory")->capture_default_str();
  a_export->add_option("--seller", ex.seller, "seller id");
  a_export->add_option("--order", ex_order, "only this order's events (its returns, refunds, claims, messages); "
                                            "without --seller, of every seller holding it");
  a_export->add_option("--until", ex_until, "only events with occurred_at at or before this RFC 3339 time");
  a_export->add_flag("--with-derived", ex.with_derived, "include the engine's derived events");
  a_export->add_option("--out", ex.out, "output file, - for stdout")->capture_default_str();

  // rejected list|replay
  auto* rej = app.add_subcommand("rejected", "rejected events: list them, re-submit chosen ones");
  rej->require_subcommand(1);
  RejectedFilter rf;
  std::string rr_brokers = "127.0.0.1:9092", rr_topic = "carelog.events";
  auto* rej_list = rej->add_subcommand("list", "rejected events with their reasons, as JSON lines");
  auto* rej_replay = rej->add_subcommand("replay", "re-submit chosen rejected events to the source topic");
  for (auto* c : {rej_list, rej_replay}) {
    c->add_option("--data-dir", rf.data_dir, "data directory")->capture_default_str();
    c->add_option("--seller", rf.seller, "only this seller's");
    c->add_option("--code", rf.code, "only this reason code");
    c->add_option("--position", rf.positions, "PARTITION:OFFSET of a rejected record (repeatable)");
    c->add_option("--limit", rf.limit, "at most this many")->capture_default_str();
  }
  rej_replay->add_option("--brokers", rr_brokers, "Kafka bootstrap servers")->capture_default_str();
  rej_replay->add_option("--topic", rr_topic, "topic to re-submit to (the source topic)")->capture_default_str();

  // gen
  auto* gen = app.add_subcommand("gen", "write a realistic, deterministic feed of envelopes (JSONL)");
  FeedOptions g;
  std::string g_out = "-";
  gen->add_option("--sellers", g.sellers, "number of sellers (Zipf-distributed sizes)")->capture_default_str();
  gen->add_option("--days", g.days, "days of traffic")->capture_default_str();
  gen->add_option("--seed", g.seed, "random seed: same seed, same bytes")->capture_default_str();
  gen->add_option("--events", g.events, "approximate number of events")->capture_default_str();
  gen->add_option("--start", g.start_epoch_seconds, "first instant, Unix seconds")->capture_default_str();
  gen->add_option("--out", g_out, "output file, - for stdout")->capture_default_str();

  // message, return, refund, settings: a seller's commands to a running engine
  SellerCommandsCli seller_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;  // usage errors exit 2, like every bad configuration
  }

  if (std::optional<int> code = seller_commands.run_if_parsed()) return *code;
  if (replay->parsed()) {
    Config cfg;
    Status st = resolve_config(r_config, {}, env_lookup, cfg);
    if (!st.ok()) {
      std::fprintf(stderr, "carelog: bad configuration: %s\n", st.message().c_str());
      return 2;
    }
    if (rc.token.empty()) {
      if (const char* t = std::getenv("CARELOG_TOKEN")) rc.token = t;
    }
    return run_replay(rc, returns_policy(cfg));
  }
  if (forget->parsed()) {
    Config cfg;
    Status st = resolve_config(f_config, {}, env_lookup, cfg);
    if (!st.ok()) {
      std::fprintf(stderr, "carelog: bad configuration: %s\n", st.message().c_str());
      return 2;
    }
    if (fc.token.empty()) {
      if (const char* t = std::getenv("CARELOG_TOKEN")) fc.token = t;
    }
    return run_forget_buyer(fc, returns_policy(cfg));
  }
  if (a_export->parsed()) {
    if (!ex_order.empty()) ex.order = ex_order;
    if (!ex_until.empty()) ex.until = ex_until;
    return audit_export(ex);
  }
  if (rej_list->parsed()) return rejected_list(rf);
  if (rej_replay->parsed()) return rejected_replay(rf, rr_brokers, rr_topic);
  if (a_verify->parsed()) return log_verify(l_dir);
  if (query->parsed()) {
    QueryParams params;
    for (auto& [k, v] : q_params) {
      std::string flag = "--" + k;
      for (auto& c : flag) c = c == '_' ? '-' : c;
      if (query->get_option(flag)->count() > 0) params[k] = v;
    }
    Config cfg;
    if (Status st = resolve_config(q_config, {}, env_lookup, cfg); !st.ok()) {
      std::fprintf(stderr, "carelog: bad configuration: %s\n", st.message().c_str());
      return 2;
    }
    return run_query(q_dir, q_what, q_seller, q_order, q_format, params, returns_policy(cfg));
  }
  if (gen->parsed()) {
    std::FILE* out = g_out == "-" ? stdout : std::fopen(g_out.c_str(), "wb");
    if (!out) {
      std::fprintf(stderr, "carelog: cannot write %s\n", g_out.c_str());
      return 1;
    }
    int64_t n = generate_feed(g, [&](const std::string& line) {
      std::fwrite(line.data(), 1, line.size(), out);
      std::fputc('\n', out);
    });
    if (out != stdout) std::fclose(out);
    std::fprintf(stderr, "carelog gen: %lld events for %lld sellers over %lld days\n",
                 static_cast<long long>(n), static_cast<long long>(g.sellers), static_cast<long long>(g.days));
    return 0;
  }

  if (run->parsed()) {
    for (const auto& s : kSettings) {
      if (run->get_option(flag_name(s))->count() > 0) flag_values[s.key] = raw[s.key];
    }
    Config cfg;
    Status st = resolve_config(config_path, flag_values, env_lookup, cfg);
    if (!st.ok()) {
      std::fprintf(stderr, "carelog: bad configuration: %s\n", st.message().c_str());
      return 2;
    }
    return run_engine(cfg);
  }
  if (produce->parsed()) {
    std::map<std::string, std::string> props;
    if (!kafka_properties(p_config, props)) return 2;
    ProduceReport report;
    Status st = produce_file(p_brokers, props, p_topic, p_file, report);
    std::printf("produced %llu records to %s (%llu without a key, %llu failed)\n",
                static_cast<unsigned long long>(report.sent), p_topic.c_str(),
                static_cast<unsigned long long>(report.unkeyed),
                static_cast<unsigned long long>(report.failed));
    for (auto& [p, n] : report.per_partition) {
      std::printf("  partition %d: %llu\n", p, static_cast<unsigned long long>(n));
    }
    if (!st.ok()) {
      std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
      return 1;
    }
    return 0;
  }
  if (create->parsed()) {
    std::map<std::string, std::string> props;
    if (!kafka_properties(t_config, props)) return 2;
    std::map<std::string, std::string> topic_configs;
    for (const auto& c : t_topic_configs) {
      const size_t eq = c.find('=');
      if (eq == 0 || eq == std::string::npos || eq + 1 == c.size()) {
        std::fprintf(stderr, "carelog: --topic-config: expected NAME=VALUE, got '%s'\n", c.c_str());
        return 2;
      }
      topic_configs[c.substr(0, eq)] = c.substr(eq + 1);
    }
    Status st = create_topic(t_brokers, props, t_topic, t_partitions, 15000, topic_configs);
    if (!st.ok()) {
      std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
      return 1;
    }
    std::printf("topic %s ready\n", t_topic.c_str());
    return 0;
  }
  if (count->parsed()) return log_count(l_dir);
  if (tail->parsed()) return log_tail(l_dir, l_n, l_partition);
  if (verify->parsed()) return log_verify(l_dir);
  if (rejected->parsed()) {
    RejectedFilter all;
    all.data_dir = l_dir;
    all.limit = l_n;
    return rejected_list(all);
  }
  return 0;
}
