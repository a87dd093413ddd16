#include "events/upcast.h"

namespace carelog {

std::optional<Sender> Upcast::implied_sender(int32_t from_version) {
  // Before v1 only the seller's own replies were logged as message.sent.
  if (from_version < 1) return Sender::kSeller;
  return std::nullopt;  // v1 and later: `sender` is required
}

}  // namespace carelog
