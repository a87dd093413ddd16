#include "connectors/decisions_publisher.h"

#include <map>
#include <vector>

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
  stop();
  if (rk_) rd_kafka_flush(rk_.get(), 10000);
}

void DecisionsPublisher::start() { thread_ = std::thread([this] { run(); }); }

void DecisionsPublisher::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_one();
}

Status DecisionsPublisher::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

Status DecisionsPublisher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  return error();
}

void DecisionsPublisher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return notified_ || stopping_; });
    if (stopping_) return;  // the caller publishes what is left (publish_pending)
    notified_ = false;
    lock.unlock();
    Status st = publish_pending();
    lock.lock();
    if (!st.ok()) {
      error_ = st;
      return;
    }
  }
}

void DecisionsPublisher::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<DecisionsPublisher*>(opaque);
  if (m->err) {
    ++self->failed_;
    self->last_error_ = rd_kafka_err2str(m->err);
  }
}

Status DecisionsPublisher::publish_pending() {
  std::map<uint32_t, uint64_t> cursors;  // partitions with derived events past their cursor
  for (const auto& [partition, head] : log_->heads()) {
    uint64_t cursor = log_->publish_cursor(partition);
    if (cursor < head.seq) cursors[partition] = cursor;
  }
  // Each round produces up to 10,000 events per partition, waits for every
  // acknowledgement once, then moves the cursors of what was acknowledged.
  while (!cursors.empty()) {
    std::map<uint32_t, std::vector<uint64_t>> round;
    for (const auto& [partition, cursor] : cursors) {
      auto seqs = log_->derived_after(partition, cursor, 10000);
      if (!seqs.empty()) round.emplace(partition, std::move(seqs));
    }
    if (round.empty()) break;
    for (const auto& [partition, seqs] : round) {
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
    }
    rd_kafka_resp_err_t e = rd_kafka_flush(rk_.get(), 60000);
    if (e) return Status::Error("flush to " + topic_ + ": " + rd_kafka_err2str(e));
    if (failed_ > 0) {
      failed_ = 0;
      return Status::Error("derived events not delivered to " + topic_ + ": " + last_error_);
    }
    // Everything produced is acknowledged: move the cursors.
    for (const auto& [partition, seqs] : round) {
      Status st = log_->set_publish_cursor(partition, seqs.back());
      if (!st.ok()) return st;
      cursors[partition] = seqs.back();
      if (metrics_) metrics_->published += seqs.size();
    }
  }
  return Status::Ok();
}

}  // namespace carelog
