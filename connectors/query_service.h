// The query side of spec/projections.md, independent of transport: the HTTP
// API and `carelog query` both call it. Each call validates its parameters
// (an unknown or malformed one is a 400 naming it), finds the seller's
// partition, takes a consistent snapshot of the seller's projection rows and
// renders the JSON answer. Thread-safe: every call reads its own snapshot.
#pragma once

#include <functional>

#include <map>
#include <string>

#include "engine/event_log.h"
#include "engine/metrics.h"

namespace carelog {

struct QueryResponse {
  int status = 200;
  std::string body;  // JSON
};

using QueryParams = std::map<std::string, std::string>;

class QueryService {
 public:
  QueryService(const EventLog& log, EngineMetrics* metrics) : log_(log), metrics_(metrics) {}
  // Cross-seller answers (audit partitions, rejected events) cover only the
  // partitions this accepts (scale-out: the ones this instance serves).
  void set_partition_filter(std::function<bool(uint32_t)> filter) { partition_filter_ = std::move(filter); }

  QueryResponse response_times(const std::string& seller_id, const QueryParams& params) const;
  QueryResponse returns(const std::string& seller_id, const QueryParams& params) const;
  QueryResponse messages(const std::string& seller_id, const QueryParams& params) const;
  QueryResponse account_health(const std::string& seller_id, const QueryParams& params) const;
  QueryResponse return_settings(const std::string& seller_id, const QueryParams& params) const;
  QueryResponse deadlines(const std::string& seller_id, const QueryParams& params) const;
  QueryResponse order_history(const std::string& order_id, const QueryParams& params) const;
  QueryResponse rejected(const QueryParams& params) const;
  // Each partition's head (sequence, hash), for a third party to anchor.
  QueryResponse audit_partitions(const QueryParams& params) const;

  // For the command line's table form: the response-time table text.
  QueryResponse response_times_table(const std::string& seller_id, const QueryParams& params) const;

 private:
  const EventLog& log_;
  EngineMetrics* metrics_;
  std::function<bool(uint32_t)> partition_filter_;
};

// {"error":{"code":..,"message":..}}
std::string error_json(const std::string& code, const std::string& message);

// One rejected record as JSON (topic, partition, offset, seller_id, event_id,
// code, field, message, rejected_at, value): the API's and the CLI's form.
std::string rejected_record_json(const RejectedRecord& r);

}  // namespace carelog
