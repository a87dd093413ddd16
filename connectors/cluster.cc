#include "connectors/cluster.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "connectors/kafka_client.h"
#include "events/json_encoder.h"

namespace carelog {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

void append_ints(std::string& out, const std::vector<int32_t>& v) {
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  out += ']';
}

}  // namespace

int32_t partition_of_seller(const std::string& seller_id, int partitions) {
  if (partitions <= 0) return 0;
  return rd_kafka_msg_partitioner_murmur2(nullptr, seller_id.data(), seller_id.size(), partitions, nullptr,
                                          nullptr);
}

// ---- PartitionOwnership ----

void PartitionOwnership::set_partition_count(int n) {
  std::lock_guard lock(mu_);
  partitions_ = n;
  ++version_;
}

int PartitionOwnership::partition_count() const {
  std::lock_guard lock(mu_);
  return partitions_;
}

void PartitionOwnership::assigned(const std::map<int32_t, int64_t>& restore_until,
                                  const std::map<int32_t, int64_t>& next_offsets) {
  std::lock_guard lock(mu_);
  target_ = restore_until;
  next_ = next_offsets;
  start_ = next_offsets;
  ever_assigned_ = true;
  ++version_;
}

void PartitionOwnership::revoked() {
  std::lock_guard lock(mu_);
  target_.clear();
  next_.clear();
  start_.clear();
  ++version_;
}

void PartitionOwnership::progress(int32_t partition, int64_t next_offset) {
  std::lock_guard lock(mu_);
  auto it = next_.find(partition);
  if (it == next_.end() || it->second >= next_offset) return;
  const bool was_restoring = it->second < target_[partition];
  it->second = next_offset;
  if (was_restoring && next_offset >= target_[partition]) ++version_;
}

PartitionOwnership::State PartitionOwnership::state(int32_t partition) const {
  std::lock_guard lock(mu_);
  auto t = target_.find(partition);
  if (t == target_.end()) return State::kNotOwned;
  return next_.at(partition) < t->second ? State::kRestoring : State::kServing;
}

std::vector<int32_t> PartitionOwnership::serving() const {
  std::lock_guard lock(mu_);
  std::vector<int32_t> out;
  for (auto& [p, t] : target_) {
    if (next_.at(p) >= t) out.push_back(p);
  }
  return out;
}

std::vector<int32_t> PartitionOwnership::restoring() const {
  std::lock_guard lock(mu_);
  std::vector<int32_t> out;
  for (auto& [p, t] : target_) {
    if (next_.at(p) < t) out.push_back(p);
  }
  return out;
}

std::map<int32_t, PartitionOwnership::Restore> PartitionOwnership::restore_progress() const {
  std::lock_guard lock(mu_);
  std::map<int32_t, Restore> out;
  for (auto& [p, t] : target_) out[p] = {start_.at(p), next_.at(p), t};
  return out;
}

bool PartitionOwnership::ever_assigned() const {
  std::lock_guard lock(mu_);
  return ever_assigned_;
}

uint64_t PartitionOwnership::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

// ---- member records ----

std::string member_json(const MemberInfo& m) {
  std::string out = "{\"member\":";
  append_json_string(out, m.id);
  out += ",\"http\":";
  append_json_string(out, m.http);
  out += ",\"group\":";
  append_json_string(out, m.group);
  out += ",\"topic\":";
  append_json_string(out, m.topic);
  out += ",\"serving\":";
  append_ints(out, m.serving);
  out += ",\"restoring\":";
  append_ints(out, m.restoring);
  out += ",\"at_ms\":" + std::to_string(m.at_ms) + "}";
  return out;
}

bool parse_member_json(std::string_view json, MemberInfo& out) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return false;
  auto str = [&](const char* key, std::string& to) {
    std::string_view v;
    if (doc[key].get_string().get(v)) return false;
    to = std::string(v);
    return true;
  };
  auto ints = [&](const char* key, std::vector<int32_t>& to) {
    simdjson::ondemand::array a;
    if (doc[key].get_array().get(a)) return false;
    for (auto v : a) {
      int64_t i = 0;
      if (v.get_int64().get(i)) return false;
      to.push_back(static_cast<int32_t>(i));
    }
    return true;
  };
  int64_t at = 0;
  if (!str("member", out.id) || !str("http", out.http) || !str("group", out.group) || !str("topic", out.topic) ||
      !ints("serving", out.serving) || !ints("restoring", out.restoring) || doc["at_ms"].get_int64().get(at)) {
    return false;
  }
  out.at_ms = at;
  return true;
}

// ---- Membership ----

struct Membership::Clients {
  KafkaHandle producer, consumer;
};

Status Membership::start(const MembershipOptions& options, const PartitionOwnership& ownership,
                         std::unique_ptr<Membership>& out) {
  std::unique_ptr<Membership> m(new Membership());
  m->options_ = options;
  m->ownership_ = &ownership;
  m->clients_ = std::make_unique<Clients>();
  Status st = create_topic(options.brokers, options.properties, options.members_topic, 1, 15000,
                           {{"cleanup.policy", "compact"}});
  if (!st.ok()) return st;
  char err[512];
  KafkaConf pconf;
  st = make_kafka_conf(options.brokers, options.properties, {{"linger.ms", "0"}}, pconf);
  if (!st.ok()) return st;
  m->clients_->producer.reset(rd_kafka_new(RD_KAFKA_PRODUCER, pconf.get(), err, sizeof err));
  if (!m->clients_->producer) return Status::Error(std::string("members producer: ") + err);
  pconf.release();
  KafkaConf cconf;
  st = make_kafka_conf(options.brokers, options.properties,
                       {{"group.id", "carelog-members-" + options.member_id},
                        {"enable.auto.commit", "false"},
                        {"enable.partition.eof", "false"}},
                       cconf);
  if (!st.ok()) return st;
  m->clients_->consumer.reset(rd_kafka_new(RD_KAFKA_CONSUMER, cconf.get(), err, sizeof err));
  if (!m->clients_->consumer) return Status::Error(std::string("members consumer: ") + err);
  cconf.release();
  PartitionList parts(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(parts.get(), options.members_topic.c_str(), 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  if (auto e = rd_kafka_assign(m->clients_->consumer.get(), parts.get())) {
    return Status::Error(std::string("members consumer: ") + rd_kafka_err2str(e));
  }
  m->publish(false);
  m->thread_ = std::thread([raw = m.get()] { raw->run(); });
  spdlog::info("cluster: member {} ({}) in group {}, members topic {}", options.member_id, options.http,
               options.group, options.members_topic);
  out = std::move(m);
  return Status::Ok();
}

Membership::~Membership() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (clients_ && clients_->producer) {
    publish(true);
    rd_kafka_flush(clients_->producer.get(), 5000);
  }
  if (clients_ && clients_->consumer) rd_kafka_consumer_close(clients_->consumer.get());
}

MemberInfo Membership::self() const {
  MemberInfo me;
  me.id = options_.member_id;
  me.http = options_.http;
  me.group = options_.group;
  me.topic = options_.source_topic;
  me.serving = ownership_->serving();
  me.restoring = ownership_->restoring();
  me.at_ms = now_ms();
  return me;
}

void Membership::publish(bool tombstone) {
  std::string value = tombstone ? std::string() : member_json(self());
  const std::string& key = options_.member_id;
  rd_kafka_producev(clients_->producer.get(), RD_KAFKA_V_TOPIC(options_.members_topic.c_str()),
                    RD_KAFKA_V_KEY(key.data(), key.size()),
                    RD_KAFKA_V_VALUE(tombstone ? nullptr : value.data(), tombstone ? 0 : value.size()),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  rd_kafka_poll(clients_->producer.get(), 0);
}

void Membership::run() {
  uint64_t published_version = ownership_->version();
  auto last_publish = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(clients_->consumer.get(), 100);
    if (msg) {
      if (!msg->err && msg->key) {
        std::string key(static_cast<const char*>(msg->key), msg->key_len);
        std::lock_guard lock(mu_);
        MemberInfo info;
        if (!msg->payload || msg->len == 0) {
          others_.erase(key);
        } else if (key != options_.member_id &&
                   parse_member_json(std::string_view(static_cast<const char*>(msg->payload), msg->len), info) &&
                   info.group == options_.group && info.topic == options_.source_topic) {
          others_[key] = std::move(info);
        }
      }
      rd_kafka_message_destroy(msg);
    }
    auto now = std::chrono::steady_clock::now();
    uint64_t v = ownership_->version();
    if (v != published_version || now - last_publish >= std::chrono::milliseconds(options_.heartbeat_ms)) {
      publish(false);
      published_version = v;
      last_publish = now;
    }
    rd_kafka_poll(clients_->producer.get(), 0);
  }
}

std::optional<MemberInfo> Membership::server_of(int32_t partition) const {
  const int64_t fresh_after = now_ms() - options_.expiry_ms;
  std::lock_guard lock(mu_);
  std::optional<MemberInfo> best;
  for (const auto& [id, m] : others_) {
    if (m.at_ms < fresh_after) continue;
    if (std::find(m.serving.begin(), m.serving.end(), partition) == m.serving.end()) continue;
    if (!best || m.at_ms > best->at_ms) best = m;
  }
  return best;
}

std::vector<MemberInfo> Membership::members() const {
  const int64_t fresh_after = now_ms() - options_.expiry_ms;
  std::vector<MemberInfo> out = {self()};
  std::lock_guard lock(mu_);
  for (const auto& [id, m] : others_) {
    if (m.at_ms >= fresh_after) out.push_back(m);
  }
  return out;
}

}  // namespace carelog
