// Binary encoding of Events for the RocksDB log (cereal portable binary archive).
// The encoding is stable: the log written by one build is read by the next.
// decode_binary(encode_binary(e)) == e for every Event.
#pragma once

#include <string>
#include <string_view>

#include "events/event.h"
#include "events/result.h"

namespace carelog {

void encode_binary(const Event& event, std::string& out);  // appends to out
std::string encode_binary(const Event& event);
Result<Event> decode_binary(std::string_view bytes);  // rejection code "corrupt" on bad bytes

}  // namespace carelog
