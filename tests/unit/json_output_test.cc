// What carelog writes is valid JSON whatever bytes it echoes, and every rate
// prints the same way everywhere.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <random>

#include "events/json_encoder.h"
#include "events/text_rules.h"
#include "projections/json_out.h"
#include "projections/projection.h"

namespace carelog::json_output_test {
namespace {

TEST(JsonOutput, InvalidUtf8IsReplacedNotCopied) {
  std::string out;
  append_json_string(out, std::string("a\xff" "b\xc3\xa9" "c\xe2\x82", 8));
  EXPECT_EQ(out, "\"a\xEF\xBF\xBD" "b\xc3\xa9" "c\xEF\xBF\xBD\xEF\xBF\xBD\"");
  out.clear();
  append_json_string(out, "Réponse \"24 h\"\n");
  EXPECT_EQ(out, "\"Réponse \\\"24 h\\\"\\n\"");
}

// Random strings of control characters, quotes, backslashes, ASCII and
// multi-byte UTF-8: a JSON parser reads back exactly the bytes written, and
// only what JSON requires is escaped (as "\\u00XX" for controls without a
// short form).
TEST(JsonOutput, StringsReadBackExactlyThroughAJsonParser) {
  const std::vector<std::string> pieces = {"a", "Z", " ", "\"", "\\", "/", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                           "\xf0\x9f\x98\x80", "24 h", "RMA DYrkY0qDRR"};
  std::mt19937 rng(20121224);
  simdjson::dom::parser parser;
  for (int round = 0; round < 2000; ++round) {
    std::string in;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      if (rng() % 3 == 0) {
        in.push_back(static_cast<char>(rng() % 0x20));  // a control character
      } else {
        in += pieces[rng() % pieces.size()];
      }
    }
    std::string out = "x";  // appends after what is there
    append_json_string(out, in);
    ASSERT_EQ(out[0], 'x');
    std::string_view got;
    ASSERT_EQ(parser.parse(out.substr(1)).get_string().get(got), simdjson::SUCCESS) << out;
    ASSERT_EQ(got, in);
    size_t escaped_size = 2;  // the quotes
    for (unsigned char c : in) {
      const bool short_form = c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t';
      escaped_size += short_form ? 2 : c < 0x20 ? 6 : 1;
    }
    ASSERT_EQ(out.size() - 1, escaped_size) << "only quotes, backslashes and controls are escaped";
    for (size_t i = 1; i < out.size(); ++i) {
      ASSERT_GE(static_cast<unsigned char>(out[i]), 0x20) << "unescaped control at " << i;
    }
    for (const char* long_form : {"\\u0008", "\\u000c", "\\u000a", "\\u000d", "\\u0009"}) {
      ASSERT_EQ(out.find(long_form), std::string::npos) << "a short form exists for " << long_form;
    }
  }
}

// Instants over years 1..9999, at every kind of offset and fraction, as
// printf's fields write them.
TEST(JsonOutput, InstantsAgreeWithPrintfFields) {
  std::mt19937_64 rng(1357583791);
  const int64_t lo = -62135596800'000000;   // 0001-01-01T00:00:00Z
  const int64_t hi = 253402300799'999999;   // 9999-12-31T23:59:59.999999Z
  for (int round = 0; round < 20000; ++round) {
    int64_t micros = lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo));
    switch (round % 4) {
      case 0: micros -= ((micros % 1'000'000) + 1'000'000) % 1'000'000; break;  // whole seconds
      case 1: micros -= ((micros % 1000) + 1000) % 1000; break;                  // milliseconds
      default: break;
    }
    const int32_t offset = round % 3 == 0 ? 0 : static_cast<int32_t>(rng() % 2879) - 1439;
    const int64_t local = micros + int64_t{offset} * 60'000'000;
    const int64_t secs = local >= 0 ? local / 1'000'000 : -((-local + 999'999) / 1'000'000);
    const int64_t frac = local - secs * 1'000'000;
    const int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    const int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    text::civil_from_days(days, y, m, d);
    char buf[96];
    std::string want(buf, static_cast<size_t>(std::snprintf(
                              buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), m, d,
                              static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60))));
    if (frac) {
      std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
      std::string f(buf);
      while (f.back() == '0') f.pop_back();
      want += f;
    }
    if (offset == 0) {
      want += 'Z';
    } else {
      std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset < 0 ? '-' : '+', std::abs(offset) / 60, std::abs(offset) % 60);
      want += buf;
    }
    ASSERT_EQ(format_rfc3339(Timestamp{micros, offset}), want) << micros << " " << offset;
    if (offset == 0) {
      std::string quoted;
      append_time_json(quoted, micros);
      ASSERT_EQ(quoted, "\"" + want + "\"");
    }
  }
}

// Outside what envelopes hold (years 0 and 10000, offsets of 100 hours),
// still as printf wrote them.
TEST(JsonOutput, InstantsOutsideTheParsedRangeAsPrintfWroteThem) {
  EXPECT_EQ(format_rfc3339({0, 6000}), "1970-01-05T04:00:00+100:00");
  EXPECT_EQ(format_rfc3339({0, -6000}), "1969-12-27T20:00:00-100:00");
  EXPECT_EQ(format_rfc3339({-62135596800'000000 - 86400'000000, 0}), "0000-12-31T00:00:00Z");
  EXPECT_EQ(format_rfc3339({253402300800'000000, 0}), "10000-01-01T00:00:00Z");
}

TEST(JsonOutput, RatiosRoundHalfUpToFourDecimals) {
  EXPECT_EQ(format_ratio(1, 32), "0.0313");  // 0.03125: half up, not to even
  EXPECT_EQ(format_ratio(14, 18), "0.7778");
  EXPECT_EQ(format_ratio(1, 2), "0.5");
  EXPECT_EQ(format_ratio(3, 3), "1");
  EXPECT_EQ(format_ratio(0, 7), "0");
  EXPECT_EQ(format_ratio(0, 0), "null");
}

}  // namespace
}  // namespace carelog::json_output_test
