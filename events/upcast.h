// Schema evolution. Envelopes written with an older schema_version are upcast
// to the current one on read, field by field, before validation of the typed
// payload. Absent schema_version means version 0 (the pre-v1 form).
//
// Known upcasts:
//   v0 -> v1  message.sent without `sender` meant a reply by the seller:
//             sender = "seller".
#pragma once

#include <cstdint>
#include <optional>

#include "events/event.h"

namespace carelog {

// Hook called by the decoder for a payload written with `from_version` <
// kCurrentSchemaVersion. `field_present(name)` tells whether `data` had the
// field; the upcaster returns the default the old form implied.
struct Upcast {
  // For message.sent: the sender an envelope of `from_version` implies when
  // the field is absent; nullopt when the field is required at that version.
  static std::optional<Sender> implied_sender(int32_t from_version);
};

}  // namespace carelog
