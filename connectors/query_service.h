// The query side of spec/projections.md, independent of transport: the HTTP
// API and `carelog query` both call it. Each call validates its parameters
// (an unknown or malformed one is a 400 naming it), finds the seller's
// partition, takes a consistent snapshot of the seller's projection rows and
// renders the JSON answer from the seller's in-memory projection
// (engine/projection_store.h). Thread-safe: every call reads under its
// partition's shared lock.
#pragma once

#include <functional>

#include <map>
#include <string>

#include "engine/command.h"
#include "engine/event_log.h"
#include "engine/metrics.h"
#include "engine/projection_store.h"

namespace carelog {

struct QueryResponse {
  int status = 200;
  std::string body;  // JSON
};

using QueryParams = std::map<std::string, std::string>;

// The most bytes of rejected records one /v1/rejected page holds (at least
// one record): its "next" cursor leads on.
inline constexpr size_t kMaxRejectedPageBytes = 4 << 20;

class QueryService {
 public:
  // `store`: the engine's in-memory projections; null for a service of its
  // own over the log (the command line's queries of a data dir).
  QueryService(const EventLog& log, EngineMetrics* metrics, ProjectionStore* store = nullptr);
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

  // The row a seller's command acted on, as its listing shows it at the
  // seller's newest instant: the return `id` (authorize, close, a refund
  // naming a return), the received message `id` (reply,
  // no-response-needed), the return settings (a settings change); JSON
  // "null" when there is none.
  std::string command_row(const std::string& seller_id, CommandKind kind, const std::string& id) const;

  // For the command line's table form: the response-time table text.
  QueryResponse response_times_table(const std::string& seller_id, const QueryParams& params) const;

 private:
  // Calls `answer(projection, partition)` for a known seller; a 404 otherwise.
  QueryResponse with_seller(const std::string& seller_id,
                            const std::function<QueryResponse(const SellerProjection&, uint32_t)>& answer) const;

  // A query whose only parameter is as_of (default: the seller's newest instant).
  QueryResponse as_of_query(const std::string& seller_id, const QueryParams& params,
                            const std::function<std::string(const SellerProjection&, int64_t)>& answer) const;

  const EventLog& log_;
  EngineMetrics* metrics_;
  std::unique_ptr<ProjectionStore> own_store_;
  ProjectionStore* store_;
  std::function<bool(uint32_t)> partition_filter_;
};

// {"error":{"code":..,"message":..}}, with "field" (the parameter or
// member at fault) when one is given.
std::string error_json(const std::string& code, const std::string& message, const std::string& field = "");

// One rejected record as JSON (topic, partition, offset, seller_id, event_id,
// code, field, message, rejected_at, value): the API's and the CLI's form.
std::string rejected_record_json(const RejectedRecord& r);

}  // namespace carelog
