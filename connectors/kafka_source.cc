#include "connectors/kafka_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "config/config.h"

namespace carelog {

Status KafkaSource::create(const KafkaSourceOptions& options, ResumeFn resume_offset,
                           CommitFn commit_in_hand, EngineMetrics* metrics,
                           std::unique_ptr<KafkaSource>& out) {
  std::unique_ptr<KafkaSource> src(new KafkaSource());
  src->options_ = options;
  src->resume_offset_ = std::move(resume_offset);
  src->commit_in_hand_ = std::move(commit_in_hand);
  src->metrics_ = metrics;

  KafkaConf conf;
  Status st = make_kafka_conf(options.brokers, options.properties,
                              {{"group.id", options.group},
                               {"enable.auto.commit", "false"},
                               {"enable.auto.offset.store", "false"},
                               // A stored offset the partition no longer has must stop
                               // the engine, never silently restart elsewhere.
                               {"auto.offset.reset", "error"},
                               {"partition.assignment.strategy", "range"},
                               {"enable.partition.eof", "false"}},
                              conf,
                              // The prefetch queue (one queue for all the partitions of
                              // the consumer) holds up to 64 MiB or 250,000 messages
                              // (~180,000 events of 356 bytes fill the 64 MiB; the
                              // count bounds the per-message overhead of tiny ones).
                              // Once over a bound, librdkafka 2.0 stops fetching for a
                              // whole second (fetch.queue.backoff.ms came in 2.1): the
                              // queue must hold more than a second of ingest. 16 MiB
                              // (~45,000 events) ran dry every second and held the
                              // ingest near 54,000 events/s (docs/PERFORMANCE.md at 397ef6b, in git).
                              {{"queued.max.messages.kbytes", "65536"}, {"queued.min.messages", "250000"}});
  if (!st.ok()) return st;
  rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaSource::rebalance_cb);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSource::error_cb);
  rd_kafka_conf_set_opaque(conf.get(), src.get());
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
  if (!rk) return Status::Error(std::string("Kafka consumer: ") + err);
  conf.release();  // owned by rk now
  src->rk_.reset(rk);
  // Before rd_kafka_poll_set_consumer: rd_kafka_poll serves the error
  // callbacks of the main queue while waiting.
  bool answered = false;
  st = src->wait_for_broker(10000, answered);
  if (!st.ok()) return st;
  rd_kafka_poll_set_consumer(rk);

  int partitions = 0;
  // No broker in 10 s: this request only reports why, without a second long wait.
  st = topic_partition_count(rk, options.topic, partitions, answered ? 10000 : 1000);
  if (!st.ok()) return Status::Error("cannot consume: " + st.message());
  if (options.ownership) options.ownership->set_partition_count(partitions);

  PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), options.topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics.get());
  if (e) return Status::Error("subscribe to " + options.topic + ": " + rd_kafka_err2str(e));
  spdlog::info("kafka source: group '{}' subscribed to '{}' ({} partitions) on {}", options.group,
               options.topic, partitions, options.brokers);
  if (!options.properties.empty()) {
    spdlog::info("kafka source: [kafka] properties {}", describe_kafka_properties(options.properties));
  }
  out = std::move(src);
  return Status::Ok();
}

Status KafkaSource::wait_for_broker(int timeout_ms, bool& answered) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  answered = false;
  while (fatal_.ok() && !answered) {
    // A brokers-only metadata request: answered once a broker has accepted
    // the connection (and its authentication).
    const rd_kafka_metadata_t* md = nullptr;
    answered = rd_kafka_metadata(rk_.get(), 0, nullptr, &md, 500) == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_poll(rk_.get(), answered ? 0 : 100);
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  return fatal_;
}

void KafkaSource::error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  static_cast<KafkaSource*>(opaque)->on_error(rk, static_cast<rd_kafka_resp_err_t>(err), reason);
}

void KafkaSource::on_error(rd_kafka_t* rk, rd_kafka_resp_err_t err, const char* reason) {
  if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    if (fatal_.ok()) {
      fatal_ = Status::Error(std::string("Kafka authentication failed (check the [kafka] sasl.* and "
                                         "security.protocol settings): ") + reason);
    }
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char why[512];
    rd_kafka_fatal_error(rk, why, sizeof why);
    if (fatal_.ok()) fatal_ = Status::Error(std::string("Kafka consumer: ") + why);
    return;
  }
  spdlog::warn("kafka source: {}", reason);
}

KafkaSource::~KafkaSource() {
  if (!closed_) close();
  release_in_hand();
}

void KafkaSource::rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* parts, void* opaque) {
  static_cast<KafkaSource*>(opaque)->on_rebalance(err, parts);
}

void KafkaSource::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::string described;
    std::map<int32_t, int64_t> restore_until, next;
    for (int i = 0; i < parts->cnt; ++i) {
      auto& tp = parts->elems[i];
      auto stored = resume_offset_(static_cast<uint32_t>(tp.partition));
      int64_t low = 0, high = 0;
      next[tp.partition] = stored.value_or(0);
      restore_until[tp.partition] = stored.value_or(0);
      if (rd_kafka_query_watermark_offsets(rk_.get(), options_.topic.c_str(), tp.partition, &low, &high, 10000) ==
              RD_KAFKA_RESP_ERR_NO_ERROR) {
        restore_until[tp.partition] = high;
        int64_t want = stored.value_or(0);
        if ((stored && want > high) || want < low) {
          fatal_ = Status::Error("partition " + std::to_string(tp.partition) + " of " + options_.topic +
                                 " holds offsets " + std::to_string(low) + ".." + std::to_string(high) +
                                 " but the data dir resumes at " + std::to_string(want) +
                                 ": the topic was recreated or its retention dropped unread events");
        }
      }
      tp.offset = stored ? *stored : RD_KAFKA_OFFSET_BEGINNING;
      next_offsets_[tp.partition] = stored.value_or(0);
      assigned_.push_back(tp.partition);
      described += " " + std::to_string(tp.partition) + "@" +
                   (stored ? std::to_string(*stored) : std::string("beginning"));
    }
    std::sort(assigned_.begin(), assigned_.end());
    spdlog::info("kafka source: assigned{}", described.empty() ? " nothing" : described);
    if (options_.ownership) options_.ownership->assigned(restore_until, next);
    rd_kafka_resp_err_t e = rd_kafka_assign(rk_.get(), parts);
    if (e) fatal_ = Status::Error(std::string("assign: ") + rd_kafka_err2str(e));
    return;
  }
  // Revocation (or an error): commit the batch in hand, then give up.
  if (!records_.empty()) {
    Status st = commit_in_hand_(records_);
    if (!st.ok()) fatal_ = st;
    release_in_hand();
  }
  for (int i = 0; i < parts->cnt; ++i) {
    if (metrics_) metrics_->clear_lag(options_.topic, parts->elems[i].partition);
    next_offsets_.erase(parts->elems[i].partition);
  }
  assigned_.clear();
  if (options_.ownership) options_.ownership->revoked();
  spdlog::info("kafka source: {} partitions revoked ({})", parts->cnt, rd_kafka_err2str(err));
  rd_kafka_assign(rk_.get(), nullptr);
}

void KafkaSource::release_in_hand() {
  for (auto* m : messages_) rd_kafka_message_destroy(m);
  messages_.clear();
  records_.clear();
}

Status KafkaSource::next_batch(std::span<const SourceRecord>& out) {
  release_in_hand();
  if (!fatal_.ok()) return fatal_;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.batch_wait_ms);
  while (records_.size() < options_.batch_size) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    // Keep polling without waiting while messages flow; wait only when empty.
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), left > 0 ? static_cast<int>(left) : 0);
    if (!fatal_.ok()) {
      if (m) rd_kafka_message_destroy(m);
      return fatal_;
    }
    if (!m) {
      if (left <= 0) break;
      continue;
    }
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        continue;
      }
      std::string why = rd_kafka_message_errstr(m);
      bool fatal = m->err == RD_KAFKA_RESP_ERR__FATAL || m->err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
                   m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                   m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
                   m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                   m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
      rd_kafka_message_destroy(m);
      if (fatal) return Status::Error("Kafka consumer: " + why);
      spdlog::warn("kafka source: {}", why);
      continue;
    }
    messages_.push_back(m);
    SourceRecord r;
    r.partition = static_cast<uint32_t>(m->partition);
    r.offset = m->offset;
    r.next_offset = m->offset + 1;
    if (m->key) r.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
    r.value = std::string_view(static_cast<const char*>(m->payload), m->len);
    records_.push_back(r);
    if (left <= 0) break;
  }
  out = records_;
  return Status::Ok();
}

void KafkaSource::refresh_lag() {
  if (!metrics_) return;
  for (auto& [p, next] : next_offsets_) {
    // Watermarks cached from the last fetch responses: no broker round trip.
    int64_t lo = 0, hi = -1;
    if (rd_kafka_get_watermark_offsets(rk_.get(), options_.topic.c_str(), p, &lo, &hi) ==
            RD_KAFKA_RESP_ERR_NO_ERROR && hi >= 0) {
      metrics_->set_lag(options_.topic, p, std::max<int64_t>(0, hi - next));
    }
  }
}

std::map<int32_t, int64_t> KafkaSource::in_hand_offsets() const {
  std::map<int32_t, int64_t> out;
  for (const auto& r : records_) out[static_cast<int32_t>(r.partition)] = r.offset + 1;
  return out;
}

void KafkaSource::committed(const std::map<int32_t, int64_t>& next_offsets) {
  bool moved = false;
  for (const auto& [p, next] : next_offsets) {
    auto it = next_offsets_.find(p);
    if (it == next_offsets_.end() || it->second >= next) continue;  // revoked since, or behind
    it->second = next;
    moved = true;
  }
  if (!moved) {
    refresh_lag();  // idle: the gauges still follow the partitions' ends
    return;
  }
  if (options_.ownership) {
    for (auto& [p, next] : next_offsets_) options_.ownership->progress(p, next);
  }
  PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets_.size())));
  for (auto& [p, next] : next_offsets_) {
    rd_kafka_topic_partition_list_add(offsets.get(), options_.topic.c_str(), p)->offset = next;
  }
  refresh_lag();
  rd_kafka_commit(rk_.get(), offsets.get(), 1 /* async */);
}

Status KafkaSource::close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  rd_kafka_resp_err_t e = rd_kafka_consumer_close(rk_.get());
  if (e) return Status::Error(std::string("consumer close: ") + rd_kafka_err2str(e));
  return fatal_;
}

std::vector<int32_t> KafkaSource::assigned_partitions() const { return assigned_; }

}  // namespace carelog
