// Lexical rules of spec/events.md shared by the JSON decoder and encoder:
// UTF-8 and code points, RFC 3339 times, money amounts, and the shapes of
// ids and codes. Internal to events/; every function is pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "events/event.h"

namespace carelog::text {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool valid_utf8(std::string_view s);

// Number of Unicode code points in `s`, which must be valid UTF-8.
size_t code_points(std::string_view s);

// True when `s` (valid UTF-8) contains a C0 control (U+0000..U+001F),
// DEL (U+007F) or a C1 control (U+0080..U+009F).
bool has_control_chars(std::string_view s);

// RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.1-6 digits](Z|+HH:MM|-HH:MM).
// Seconds and an offset are required; 'T' and 'Z' may be lower case. Dates are
// checked against the calendar (no Feb 30); leap seconds (:60) are refused.
std::optional<Timestamp> parse_rfc3339(std::string_view s);

// A money amount "12", "12.5", "12.50": an integer part without superfluous
// leading zeros, then at most two fraction digits. No sign, exponent or
// blanks. Returns cents; nullopt when malformed or beyond 10^15 units.
std::optional<int64_t> parse_money_amount(std::string_view s);

bool is_order_id(std::string_view s);  // ^\d{3}-\d{7}-\d{7}$
// Character sets only; the caller checks lengths (a distinct rejection).
bool event_id_chars(std::string_view s);   // all of 0x20..0x7E (printable ASCII)
bool seller_id_chars(std::string_view s);  // all of [A-Za-z0-9_-]
bool is_currency(std::string_view s);      // three of [A-Z]
bool is_country(std::string_view s);       // two of [A-Z]

// Proleptic Gregorian calendar <-> days since 1970-01-01.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t& y, unsigned& m, unsigned& d);

}  // namespace carelog::text
