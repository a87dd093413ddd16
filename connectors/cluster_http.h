// The HTTP side of scale-out (cluster.h): forwarding a seller's query to the
// member that serves the seller's partition, merging cross-seller answers
// from every member, and the operator view GET /v1/cluster.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "connectors/cluster.h"

namespace carelog {

inline constexpr const char* kForwardedHeader = "X-Carelog-Forwarded";

struct ClusterView {
  PartitionOwnership* ownership = nullptr;
  // Set once membership has started (after the HTTP server, whose port it
  // publishes); until then nothing is routed.
  std::atomic<Membership*> membership{nullptr};
  bool https = false;
  std::string ca_file;  // to verify other members over HTTPS (the shared certificate)
};

// Asks `to` req's method (GET, POST or PUT), path, parameters and body,
// with the caller's Authorization, Idempotency-Key, If-Match and
// X-Request-Id; its status, body, content type and Retry-After become
// `res`'s. (A command forwarded after the member's timeout may still be
// carried out there: the caller retries with its Idempotency-Key.)
void forward(const ClusterView& cluster, const MemberInfo& to, const httplib::Request& req,
             httplib::Response& res);

// The answers of every other live member to req (marked as forwarded, so
// they answer from their own partitions only).
std::vector<std::string> gather_from_members(const ClusterView& cluster, const httplib::Request& req);

// {"<field>":[...]} from answers of that shape: the arrays' elements in
// (partition, offset or seq) order, at most `limit` of them (0: all).
std::string merge_arrays(const std::string& field, const std::vector<std::string>& answers, size_t limit);

// GET /v1/cluster.
std::string cluster_json(const ClusterView& cluster);

}  // namespace carelog
