// Produces the events of sellers' commands (engine/command.h) to the input
// topic, keyed by seller and partitioned with murmur2 like every carelog
// producer, so that they reach the log through the same ingest as any other
// event. Idempotent producer, acks=all; produce() waits for the broker's
// acknowledgement, at most `timeout` (message.timeout.ms): a broker that is
// down fails the command instead of hanging it.
//
// Thread-safe: one producer shared by the HTTP threads; a thread of its own
// serves the delivery reports.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "connectors/kafka_client.h"
#include "engine/status.h"

namespace carelog {

class CommandProducer {
 public:
  static Status create(const std::string& brokers, const std::map<std::string, std::string>& props,
                       const std::string& topic, std::chrono::milliseconds timeout,
                       std::unique_ptr<CommandProducer>& out);
  ~CommandProducer();

  // Produces `envelope` keyed by `seller_id`; OK once the broker has it.
  Status produce(const std::string& seller_id, const std::string& envelope);

 private:
  CommandProducer() = default;
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*);

  KafkaHandle rk_;
  std::string topic_;
  std::chrono::milliseconds timeout_{5000};
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

}  // namespace carelog
