// The fixture and helpers shared by the JSON decoder tests
// (events_decoder_test.cc, events_decoder_rejections_test.cc). DecoderTest
// lives in a named namespace: gtest requires one fixture class per test suite
// across translation units.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "events/json_decoder.h"
#include "events/rejection.h"
#include "tests/unit/events_samples.h"

namespace carelog::testing {

// `s` with the first occurrence of `from` replaced by `to` (which must exist).
inline std::string with(std::string s, std::string_view from, std::string_view to) {
  const size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << "sample lacks " << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

inline std::string sample_data(std::string_view type) {
  for (const Sample& s : all_samples()) {
    if (s.type == type) return s.data;
  }
  ADD_FAILURE() << "no sample " << type;
  return "{}";
}

inline std::string repeat(std::string_view unit, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

inline ::testing::AssertionResult Rejected(const Result<Event>& r, std::string_view code,
                                           std::string_view field) {
  if (r.ok()) return ::testing::AssertionFailure() << "accepted, expected " << code;
  const Rejection& rej = r.rejection();
  if (rej.code != code || rej.field != field) {
    return ::testing::AssertionFailure()
           << "got " << rej.code << " at \"" << rej.field << "\" (" << rej.message << "), expected "
           << code << " at \"" << field << "\"";
  }
  if (rej.message.empty() || rej.message.find(field) == std::string::npos) {
    return ::testing::AssertionFailure() << "message does not name the field: " << rej.message;
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult Accepted(const Result<Event>& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.rejection().code << " at \"" << r.rejection().field
                                       << "\": " << r.rejection().message;
}

class DecoderTest : public ::testing::Test {
 protected:
  DecoderTest() : derived_({.allow_derived_types = true}) {}
  Result<Event> decode(std::string_view json, std::optional<std::string_view> key = std::nullopt) {
    return decoder_.decode(json, key);
  }
  // An envelope of `type` around `data`, decoded.
  Result<Event> decode_data(std::string_view type, std::string_view data) {
    return decoder_.decode(sample_envelope(type, data));
  }
  JsonDecoder decoder_;
  JsonDecoder derived_;
};

}  // namespace carelog::testing
