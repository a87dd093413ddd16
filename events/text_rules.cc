#include "events/text_rules.h"

#include <simdjson.h>

namespace carelog::text {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at s[pos..pos+n); false when any is not a digit.
bool digits(std::string_view s, size_t pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, int64_t m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count all but continuation bytes
  return n;
}

bool has_control_chars(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    // U+0080..U+009F are encoded as C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

std::optional<Timestamp> parse_rfc3339(std::string_view s) {
  int64_t year, month, day, hour, minute, second;
  if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
      !digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t frac_micros = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t n = 0;
    for (; pos < s.size() && is_digit(s[pos]); ++pos, ++n) {
      if (n == 6) return std::nullopt;  // finer than a microsecond
      frac_micros = frac_micros * 10 + (s[pos] - '0');
    }
    if (n == 0) return std::nullopt;
    for (; n < 6; ++n) frac_micros *= 10;
  }
  if (pos >= s.size()) return std::nullopt;  // the offset is required
  int32_t offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int64_t oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = static_cast<int32_t>(oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  const int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t local_seconds = days * 86400 + hour * 3600 + minute * 60 + second;
  Timestamp t;
  t.micros = (local_seconds - int64_t{offset_minutes} * 60) * 1'000'000 + frac_micros;
  t.offset_minutes = offset_minutes;
  return t;
}

std::optional<int64_t> parse_money_amount(std::string_view s) {
  size_t pos = 0;
  int64_t units = 0;
  for (; pos < s.size() && is_digit(s[pos]); ++pos) {
    if (pos == 15) return std::nullopt;  // >= 10^15 units: not a plausible amount
    units = units * 10 + (s[pos] - '0');
  }
  if (pos == 0 || (pos > 1 && s[0] == '0')) return std::nullopt;  // "" / ".5" / "012"
  int64_t cents = units * 100;
  if (pos < s.size()) {
    if (s[pos] != '.') return std::nullopt;
    const size_t n = s.size() - pos - 1;
    int64_t frac = 0;
    if (n < 1 || n > 2 || !digits(s, pos + 1, n, frac)) return std::nullopt;
    cents += n == 1 ? frac * 10 : frac;
  }
  return cents;
}

bool is_order_id(std::string_view s) {
  if (s.size() != 19 || s[3] != '-' || s[11] != '-') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != 3 && i != 11 && !is_digit(s[i])) return false;
  }
  return true;
}

bool event_id_chars(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return false;  // char may be signed: bytes >= 0x80 are < 0
  }
  return true;
}

bool seller_id_chars(std::string_view s) {
  for (char c : s) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {
bool upper_letters(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}
}  // namespace

bool is_currency(std::string_view s) { return upper_letters(s, 3); }
bool is_country(std::string_view s) { return upper_letters(s, 2); }

// Howard Hinnant's algorithms (http://howardhinnant.github.io/date_algorithms.html).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);                    // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11]
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

}  // namespace carelog::text
