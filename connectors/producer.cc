#include "connectors/producer.h"

#include <simdjson.h>

#include <fstream>

#include "connectors/kafka_client.h"

namespace carelog {

bool read_seller_id(std::string_view json, std::string& seller_id) {
  static thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return false;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return false;
  std::string_view v;
  if (obj.find_field_unordered("seller_id").get_string().get(v)) return false;
  seller_id.assign(v);
  return !seller_id.empty();
}

namespace {
struct DeliveryTally {
  ProduceReport* report;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* t = static_cast<DeliveryTally*>(opaque);
  if (m->err) {
    ++t->report->failed;
  } else {
    ++t->report->sent;
    ++t->report->per_partition[m->partition];
  }
}
}  // namespace

Status produce_file(const std::string& brokers, const std::map<std::string, std::string>& props,
                    const std::string& topic, const std::string& path, ProduceReport& report) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot open " + path);
  DeliveryTally tally{&report};
  KafkaConf conf;
  Status st = make_kafka_conf(brokers, props,
                              {{"partitioner", "murmur2_random"},
                               {"enable.idempotence", "true"},
                               {"acks", "all"},
                               {"linger.ms", "20"},
                               {"batch.num.messages", "10000"},
                               {"compression.type", "lz4"}},
                              conf, {{"message.timeout.ms", "30000"}});
  if (!st.ok()) return st;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
  rd_kafka_conf_set_opaque(conf.get(), &tally);
  char err[512];
  KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err));
  if (!rk) return Status::Error(std::string("producer: ") + err);
  conf.release();
  // No broker: an error at once, not a wait for every record's timeout.
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_resp_err_t e = rd_kafka_metadata(rk.get(), 0, nullptr, &metadata, 10000); e) {
    return Status::Error("no Kafka broker answers on " + brokers + " (" + rd_kafka_err2str(e) + ")");
  }
  rd_kafka_metadata_destroy(metadata);

  std::string line, seller;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    bool keyed = read_seller_id(line, seller);
    if (!keyed) ++report.unkeyed;
    for (;;) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_VALUE(line.data(), line.size()),
          RD_KAFKA_V_KEY(keyed ? seller.data() : nullptr, keyed ? seller.size() : 0),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk.get(), 50);
        continue;
      }
      return Status::Error("produce to " + topic + ": " + rd_kafka_err2str(e));
    }
    rd_kafka_poll(rk.get(), 0);
  }
  rd_kafka_resp_err_t e = rd_kafka_flush(rk.get(), 120000);
  if (e) return Status::Error("flush to " + topic + ": " + rd_kafka_err2str(e));
  if (report.failed > 0) {
    return Status::Error(std::to_string(report.failed) + " records were not delivered to " + topic);
  }
  return Status::Ok();
}

}  // namespace carelog
