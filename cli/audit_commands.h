// `carelog audit export` and `carelog rejected list|replay`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace carelog {

struct ExportOptions {
  std::string data_dir = "data";
  std::string seller;                    // this seller's events, or with only
                                         // --order, every seller holding the order
  std::optional<std::string> order;      // only this order's events (history index)
  std::optional<std::string> until;      // RFC 3339: events with occurred_at <= until
  bool with_derived = false;
  std::string out = "-";
};
// Writes the events' envelopes, byte for byte as consumed, one per line, in log order.
int audit_export(const ExportOptions& options);

struct RejectedFilter {
  std::string data_dir = "data";
  std::string seller, code;
  std::vector<std::string> positions;  // "PARTITION:OFFSET"; empty: all that match
  int64_t limit = 1000;
};
int rejected_list(const RejectedFilter& filter);
// Re-submits the chosen rejected records (original key and bytes) to `topic`,
// where they pass through the same validation again.
int rejected_replay(const RejectedFilter& filter, const std::string& brokers, const std::string& topic);

}  // namespace carelog
