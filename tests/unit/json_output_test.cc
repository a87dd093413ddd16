// What carelog writes is valid JSON whatever bytes it echoes, and every rate
// prints the same way everywhere.
#include <gtest/gtest.h>

#include "events/json_encoder.h"
#include "projections/projection.h"

namespace carelog {
namespace {

TEST(JsonOutput, InvalidUtf8IsReplacedNotCopied) {
  std::string out;
  append_json_string(out, std::string("a\xff" "b\xc3\xa9" "c\xe2\x82", 8));
  EXPECT_EQ(out, "\"a\xEF\xBF\xBD" "b\xc3\xa9" "c\xEF\xBF\xBD\xEF\xBF\xBD\"");
  out.clear();
  append_json_string(out, "Réponse \"24 h\"\n");
  EXPECT_EQ(out, "\"Réponse \\\"24 h\\\"\\n\"");
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
}  // namespace carelog
