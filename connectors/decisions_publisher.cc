#include "connectors/decisions_publisher.h"

#include <spdlog/spdlog.h>

namespace carelog {

Status DecisionsPublisher::create(const std::string& brokers, const std::map<std::string, std::string>& props,
                                  const std::string& topic, EventLog& log, EngineMetrics* metrics,
                                  std::unique_ptr<DecisionsPublisher>& out) {
  std::unique_ptr<DecisionsPublisher> p(new DecisionsPublisher());
  p->topic_ = topic;
  p->log_ = &log;
  p->metrics_ = metrics;
  KafkaConf conf;
  Status st = make_kafka_conf(brokers, props,
                              {{"enable.idempotence", "true"}, {"acks", "all"},
                               {"partitioner", "murmur2_random"}, {"linger.ms", "5"}},
                              conf);
  if (!st.ok()) return st;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &DecisionsPublisher::on_delivery);
  rd_kafka_conf_set_opaque(conf.get(), p.get());
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err);
  if (!rk) return Status::Error(std::string("decisions producer: ") + err);
  conf.release();
  p->rk_.reset(rk);
  out = std::move(p);
  return Status::Ok();
}

DecisionsPublisher::~DecisionsPublisher() {
  if (rk_) rd_kafka_flush(rk_.get(), 10000);
}

void DecisionsPublisher::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<DecisionsPublisher*>(opaque);
  if (m->err) {
    ++self->failed_;
    self->last_error_ = rd_kafka_err2str(m->err);
  }
}

Status DecisionsPublisher::publish_pending(uint64_t* published) {
  uint64_t total = 0;
  for (const auto& [partition, head] : log_->heads()) {
    uint64_t cursor = log_->publish_cursor(partition);
    if (cursor >= head.seq) continue;
    for (;;) {
      auto seqs = log_->derived_after(partition, cursor, 10000);
      if (seqs.empty()) break;
      for (uint64_t seq : seqs) {
        auto rec = log_->read_record(partition, seq);
        if (!rec) return Status::Error("derived event at partition " + std::to_string(partition) + " seq " +
                                       std::to_string(seq) + " cannot be read");
        const std::string& key = rec->event.seller_id;
        for (;;) {
          rd_kafka_resp_err_t e = rd_kafka_producev(
              rk_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
              RD_KAFKA_V_VALUE(rec->original.data(), rec->original.size()),
              RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
              RD_KAFKA_V_END);
          if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
          if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            return Status::Error("publish to " + topic_ + ": " + rd_kafka_err2str(e));
          }
          rd_kafka_poll(rk_.get(), 50);
        }
      }
      rd_kafka_resp_err_t e = rd_kafka_flush(rk_.get(), 60000);
      if (e) return Status::Error("flush to " + topic_ + ": " + rd_kafka_err2str(e));
      if (failed_ > 0) {
        failed_ = 0;
        return Status::Error("derived events not delivered to " + topic_ + ": " + last_error_);
      }
      // Everything up to the last seq is acknowledged: move the cursor.
      cursor = seqs.back();
      Status st = log_->set_publish_cursor(partition, cursor);
      if (!st.ok()) return st;
      total += seqs.size();
    }
  }
  if (metrics_) metrics_->published += total;
  if (published) *published = total;
  return Status::Ok();
}

}  // namespace carelog
