// Shared plumbing for carelog's librdkafka clients (source, dead letters,
// producer, topic admin): configuration from the engine config, RAII handles.
//
// Every client gets `bootstrap.servers` plus every property of the config's
// [kafka] table, so security settings (security.protocol, sasl.*, ssl.*) apply
// to all of them alike. Secret property values (is_secret_kafka_property) are
// never logged, nor put in an error message.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "engine/status.h"

namespace carelog {

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;

struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// Builds a configuration: bootstrap.servers, then `defaults` (the client's
// tuning, which the user may change), then `props` (the [kafka] table), then
// `overrides` (what the client itself requires). Errors name the property.
Status make_kafka_conf(const std::string& brokers, const std::map<std::string, std::string>& props,
                       const std::map<std::string, std::string>& overrides, KafkaConf& out,
                       const std::map<std::string, std::string>& defaults = {});

// Creates `topic` with `partitions` partitions (replication factor 1 unless the
// broker defaults otherwise) and the given topic configs; "already exists" is
// not an error.
Status create_topic(const std::string& brokers, const std::map<std::string, std::string>& props,
                    const std::string& topic, int partitions, int timeout_ms = 15000,
                    const std::map<std::string, std::string>& topic_configs = {});

// Number of partitions of `topic`, or an error when the topic does not exist.
Status topic_partition_count(rd_kafka_t* rk, const std::string& topic, int& count,
                             int timeout_ms = 10000);

}  // namespace carelog
