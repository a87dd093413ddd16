// Small writers shared by the queries' JSON output, and ASCII case folding
// for their text filters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/json_encoder.h"

namespace carelog {

// An instant as a quoted RFC 3339 UTC time ("...Z").
inline void append_time_json(std::string& out, int64_t micros) {
  out += '"';  // digits, '-', ':', '.', 'T' and 'Z': nothing to escape
  append_rfc3339(out, Timestamp{micros, 0});
  out += '"';
}

// A quoted string, or null.
inline void append_opt_json(std::string& out, const std::optional<std::string_view>& v) {
  if (v) {
    append_json_string(out, *v);
  } else {
    out += "null";
  }
}
inline void append_opt_json(std::string& out, const std::optional<std::string>& v) {
  append_opt_json(out, v ? std::optional<std::string_view>(*v) : std::nullopt);
}

inline std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace carelog
