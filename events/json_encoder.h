// Writes an Event back as a spec envelope (compact JSON, fields in the spec's
// order, optional fields omitted when absent). decode(encode(e)) == e for every
// valid Event; the engine uses it for the events it derives itself.
#pragma once

#include <string>

#include "events/event.h"

namespace carelog {

std::string encode_json(const Event& event);

// Helpers shared with other writers of JSON.
void append_json_string(std::string& out, std::string_view s);  // quoted, escaped
std::string format_rfc3339(const Timestamp& t);  // with the writer's offset
void append_rfc3339(std::string& out, const Timestamp& t);  // the same, appended unquoted
std::string format_money_amount(int64_t cents);   // "12.50", "-0.05"
void append_address_json(std::string& out, const Address& a);  // as an envelope writes it

}  // namespace carelog
