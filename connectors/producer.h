// `carelog produce`: publishes a JSONL file of envelopes to a topic, each
// keyed by its seller_id and partitioned with murmur2 (the Java client's
// partitioner), so every producer agrees on where a seller lives. Lines whose
// seller_id cannot be read are sent without a key (the engine will reject
// them with a reason); nothing is skipped silently.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "engine/status.h"

namespace carelog {

struct ProduceReport {
  uint64_t sent = 0;       // acknowledged by the broker
  uint64_t failed = 0;     // delivery failed
  uint64_t unkeyed = 0;    // sent without a key (no readable seller_id)
  std::map<int32_t, uint64_t> per_partition;
};

Status produce_file(const std::string& brokers, const std::map<std::string, std::string>& props,
                    const std::string& topic, const std::string& path, ProduceReport& report);

// The seller_id of an envelope if it is a JSON object with a string seller_id.
bool read_seller_id(std::string_view json, std::string& seller_id);

}  // namespace carelog
