#include "connectors/dead_letter.h"

#include "engine/hash_chain.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

namespace carelog {

Status KafkaDeadLetterSink::create(const std::string& brokers,
                                   const std::map<std::string, std::string>& props,
                                   const std::string& topic,
                                   std::unique_ptr<KafkaDeadLetterSink>& out) {
  std::unique_ptr<KafkaDeadLetterSink> sink(new KafkaDeadLetterSink());
  sink->topic_ = topic;
  KafkaConf conf;
  Status st = make_kafka_conf(brokers, props,
                              {{"enable.idempotence", "true"},
                               {"acks", "all"},
                               {"partitioner", "murmur2_random"},
                               {"linger.ms", "5"},
                               {"message.timeout.ms", std::to_string(kDeadLetterTimeoutMs)}},
                              conf);
  if (!st.ok()) return st;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaDeadLetterSink::on_delivery);
  rd_kafka_conf_set_opaque(conf.get(), sink.get());
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err);
  if (!rk) return Status::Error(std::string("dead-letter producer: ") + err);
  conf.release();
  sink->rk_.reset(rk);
  out = std::move(sink);
  return Status::Ok();
}

KafkaDeadLetterSink::~KafkaDeadLetterSink() {
  if (rk_) rd_kafka_flush(rk_.get(), 10000);
}

void KafkaDeadLetterSink::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<KafkaDeadLetterSink*>(opaque);
  if (m->err) {
    self->failed_.fetch_add(1);
    self->last_error_ = rd_kafka_err2str(m->err);
  }
}

Status KafkaDeadLetterSink::publish(const RejectedRecord& r) {
  std::string partition = std::to_string(r.partition);
  std::string offset = std::to_string(r.offset);
  const std::string_view value = std::string_view(r.value).substr(0, kMaxDeadLetterValueBytes);
  const uint64_t whole = std::max<uint64_t>(r.value_bytes, r.value.size());
  const std::string bytes = std::to_string(whole);
  const std::string truncated = value.size() < whole ? "true" : "false";
  const std::string sha256 = to_hex(r.value_sha256);
  const std::string_view message = std::string_view(r.reason.message).substr(0, kMaxDeadLetterHeaderBytes);
  rd_kafka_headers_t* h = rd_kafka_headers_new(9);
  rd_kafka_header_add(h, "carelog.reason.code", -1, r.reason.code.data(), r.reason.code.size());
  rd_kafka_header_add(h, "carelog.reason.field", -1, r.reason.field.data(), r.reason.field.size());
  rd_kafka_header_add(h, "carelog.reason.message", -1, message.data(), message.size());
  rd_kafka_header_add(h, "carelog.value.bytes", -1, bytes.data(), bytes.size());
  rd_kafka_header_add(h, "carelog.value.sha256", -1, sha256.data(), sha256.size());
  rd_kafka_header_add(h, "carelog.value.truncated", -1, truncated.data(), truncated.size());
  rd_kafka_header_add(h, "carelog.source.topic", -1, r.topic.data(), r.topic.size());
  rd_kafka_header_add(h, "carelog.source.partition", -1, partition.data(), partition.size());
  rd_kafka_header_add(h, "carelog.source.offset", -1, offset.data(), offset.size());
  for (;;) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_KEY(r.key.empty() ? nullptr : r.key.data(), r.key.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();  // headers now owned by the message
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk_.get(), 100);
      continue;
    }
    rd_kafka_headers_destroy(h);
    return Status::Error("dead-letter produce to " + topic_ + ": " + rd_kafka_err2str(e));
  }
}

Status KafkaDeadLetterSink::flush() {
  rd_kafka_resp_err_t e = rd_kafka_flush(rk_.get(), kDeadLetterTimeoutMs);
  if (e) return Status::Error("dead-letter flush to " + topic_ + ": " + rd_kafka_err2str(e));
  uint64_t failed = failed_.exchange(0);
  if (failed > 0) {
    return Status::Error(std::to_string(failed) + " dead-letter records not delivered to " + topic_ +
                         ": " + last_error_);
  }
  return Status::Ok();
}

}  // namespace carelog
