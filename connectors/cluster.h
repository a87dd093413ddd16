// Scale-out on Kafka's consumer group (the way Kafka Streams does it).
//
// Each instance owns the partitions of the events topic the group assigns it
// and keeps their log and state in its own data dir. A partition it is
// assigned is *restoring* until the engine has ingested up to the partition's
// end offset as it stood at the assignment (from its own stored offset: a
// partition never seen starts at the beginning of the topic, the system of
// record); then it is *serving*. On revocation it owns nothing until the
// next assignment (eager `range` assignor, see kafka_source.h).
//
// Every instance publishes, to the compacted topic `members_topic` (key: its
// member id), its HTTP address and the partitions it serves and restores,
// every heartbeat and at every change; it reads everyone's. A member not
// heard from for `expiry_ms` is gone; a clean stop publishes a tombstone.
//
// A query for a seller goes to the seller's partition (murmur2 of the seller
// id, as producers key events): answered here when this instance serves it,
// 503 + Retry-After while it restores (never a partial answer), forwarded to
// the member that serves it otherwise (503 when none does yet).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/status.h"

namespace carelog {

// The partition producers put `seller_id`'s events in (Kafka's murmur2).
int32_t partition_of_seller(const std::string& seller_id, int partitions);

// What this instance owns of the events topic. Thread-safe.
class PartitionOwnership {
 public:
  enum class State { kNotOwned, kRestoring, kServing };
  void set_partition_count(int n);
  int partition_count() const;
  // The group assigned these partitions; each restores until the engine's
  // next offset reaches the given end offset.
  void assigned(const std::map<int32_t, int64_t>& restore_until, const std::map<int32_t, int64_t>& next_offsets);
  void revoked();
  // The engine has committed `partition` up to `next_offset`.
  void progress(int32_t partition, int64_t next_offset);
  State state(int32_t partition) const;
  std::vector<int32_t> serving() const;
  std::vector<int32_t> restoring() const;
  // Per owned partition: where it resumed at its assignment, how far the
  // engine is, and the end offset it restores to.
  struct Restore {
    int64_t start = 0, next = 0, target = 0;
  };
  std::map<int32_t, Restore> restore_progress() const;
  bool ever_assigned() const;
  uint64_t version() const;  // changes with every change above

 private:
  mutable std::mutex mu_;
  int partitions_ = 0;
  std::map<int32_t, int64_t> target_;  // owned partitions -> end offset at assignment
  std::map<int32_t, int64_t> next_;    // owned partitions -> engine's next offset
  std::map<int32_t, int64_t> start_;   // owned partitions -> next offset at assignment
  bool ever_assigned_ = false;
  uint64_t version_ = 0;
};

struct MemberInfo {
  std::string id, http, group, topic;
  std::vector<int32_t> serving, restoring;
  int64_t at_ms = 0;  // wall clock of the record
};

std::string member_json(const MemberInfo& m);
bool parse_member_json(std::string_view json, MemberInfo& out);

struct MembershipOptions {
  std::string brokers;
  std::map<std::string, std::string> properties;  // the [kafka] table
  std::string members_topic = "carelog.members";
  std::string group, source_topic;  // members of other groups or topics are ignored
  std::string member_id;
  std::string http;                 // HOST:PORT others forward to
  bool https = false;
  int heartbeat_ms = 2000;
  int expiry_ms = 10000;
};

class Membership {
 public:
  static Status start(const MembershipOptions& options, const PartitionOwnership& ownership,
                      std::unique_ptr<Membership>& out);
  ~Membership();  // publishes a tombstone and stops
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Another live member serving `partition`, if any.
  std::optional<MemberInfo> server_of(int32_t partition) const;
  // Live members of this group and topic, this one included.
  std::vector<MemberInfo> members() const;
  const MembershipOptions& options() const { return options_; }

 private:
  Membership() = default;
  void run();
  void publish(bool tombstone);
  MemberInfo self() const;
  MembershipOptions options_;
  const PartitionOwnership* ownership_ = nullptr;
  struct Clients;
  std::unique_ptr<Clients> clients_;
  mutable std::mutex mu_;
  std::map<std::string, MemberInfo> others_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace carelog
