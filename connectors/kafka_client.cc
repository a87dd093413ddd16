#include "connectors/kafka_client.h"

#include <spdlog/spdlog.h>

#include "config/config.h"

namespace carelog {
namespace {
// librdkafka's own log lines go through spdlog (stderr), with syslog levels.
void log_to_spdlog(const rd_kafka_t* rk, int level, const char* facility, const char* buf) {
  auto lvl = level <= 3 ? spdlog::level::err : level <= 4 ? spdlog::level::warn
             : level <= 6 ? spdlog::level::info : spdlog::level::debug;
  spdlog::log(lvl, "librdkafka {} {}: {}", rd_kafka_name(rk), facility, buf);
}
}  // namespace

Status make_kafka_conf(const std::string& brokers, const std::map<std::string, std::string>& props,
                       const std::map<std::string, std::string>& overrides, KafkaConf& out,
                       const std::map<std::string, std::string>& defaults) {
  KafkaConf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), log_to_spdlog);
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) -> Status {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      // librdkafka's message may quote the value: not for a secret.
      if (is_secret_kafka_property(k)) return Status::Error("Kafka property '" + k + "': rejected by librdkafka");
      return Status::Error("Kafka property '" + k + "': " + err);
    }
    return Status::Ok();
  };
  Status st = set("bootstrap.servers", brokers);
  for (auto& [k, v] : defaults) {
    if (st.ok()) st = set(k, v);
  }
  for (auto& [k, v] : props) {
    if (st.ok()) st = set(k, v);
  }
  for (auto& [k, v] : overrides) {
    if (st.ok()) st = set(k, v);
  }
  if (!st.ok()) return st;
  out = std::move(conf);
  return Status::Ok();
}

Status create_topic(const std::string& brokers, const std::map<std::string, std::string>& props,
                    const std::string& topic, int partitions, int timeout_ms,
                    const std::map<std::string, std::string>& topic_configs) {
  KafkaConf conf;
  Status st = make_kafka_conf(brokers, props, {}, conf);
  if (!st.ok()) return st;
  char err[512];
  KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), err, sizeof err));
  if (!rk) return Status::Error(std::string("Kafka admin client: ") + err);

  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, err, sizeof err);
  if (!nt) return Status::Error(std::string("create topic ") + topic + ": " + err);
  for (const auto& [name, value] : topic_configs) rd_kafka_NewTopic_set_config(nt, name.c_str(), value.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, err, sizeof err);
  rd_kafka_CreateTopics(rk.get(), &nt, 1, opts, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
  Status result = Status::Ok();
  if (!ev) {
    result = Status::Error("create topic " + topic + ": no answer from " + brokers);
  } else if (rd_kafka_event_error(ev)) {
    result = Status::Error("create topic " + topic + ": " + rd_kafka_event_error_string(ev));
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(topics[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        result = Status::Error("create topic " + topic + ": " + rd_kafka_err2str(e));
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  return result;
}

Status topic_partition_count(rd_kafka_t* rk, const std::string& topic, int& count, int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  Status st = Status::Ok();
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    st = Status::Error("metadata for " + topic + ": " + rd_kafka_err2str(e));
  } else if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    st = Status::Error("topic " + topic + ": " +
                       (md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not found"));
  } else {
    count = md->topics[0].partition_cnt;
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  return st;
}

}  // namespace carelog
