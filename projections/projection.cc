#include "projections/projection.h"

#include "events/json_encoder.h"

namespace carelog {

std::string format_ratio(int64_t numerator, int64_t denominator) {
  if (denominator == 0) return "null";
  using Wide = __int128;
  const Wide scaled = (Wide{numerator} * 20000 + denominator) / (Wide{denominator} * 2);
  const auto whole = static_cast<int64_t>(scaled / 10000);
  auto frac = static_cast<int64_t>(scaled % 10000);
  std::string out = std::to_string(whole);
  if (frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, 4 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  return out;
}

std::string listing_json(const std::string& seller_id, int64_t total, const std::optional<std::string>& next_key,
                         std::string_view items_name, std::string_view items) {
  std::string out = "{\"seller_id\":";
  append_json_string(out, seller_id);
  out += ",\"total\":" + std::to_string(total) + ",\"next_cursor\":";
  if (next_key) {
    append_json_string(out, encode_cursor(*next_key));
  } else {
    out += "null";
  }
  out += ",\"";
  out += items_name;
  out += "\":[";
  out += items;
  out += "]}";
  return out;
}

std::string encode_cursor(std::string_view key) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(key.size() * 2);
  for (unsigned char c : key) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

bool decode_cursor(std::string_view cursor, std::string& key) {
  if (cursor.size() % 2 != 0 || cursor.size() > 1024) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  key.clear();
  for (size_t i = 0; i < cursor.size(); i += 2) {
    int hi = nibble(cursor[i]), lo = nibble(cursor[i + 1]);
    if (hi < 0 || lo < 0) return false;
    key.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace carelog
