#include "engine/row_overlay.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>

namespace carelog::row_overlay_test {
namespace {

std::optional<std::string> read(const RowOverlay& overlay, const std::string& key) {
  const RowOverlay::Row* row = overlay.find(key);
  EXPECT_NE(row, nullptr) << key;
  if (!row || !row->value()) return std::nullopt;
  return std::string(*row->value());
}

TEST(RowOverlayTest, ReadsItsLastWriteOfEachKey) {
  RowOverlay overlay;
  EXPECT_EQ(overlay.find("k"), nullptr);
  overlay.put("k", "a longer first value");
  EXPECT_EQ(read(overlay, "k"), "a longer first value");
  overlay.put("k", "short");  // fits in the room of the first
  EXPECT_EQ(read(overlay, "k"), "short");
  overlay.put("k", "a value longer than any before it");
  EXPECT_EQ(read(overlay, "k"), "a value longer than any before it");
  overlay.put("k", "");
  EXPECT_EQ(read(overlay, "k"), "");
  EXPECT_EQ(overlay.size(), 1u);
}

TEST(RowOverlayTest, AnErasedRowIsKnownAsErasedUntilWrittenAgain) {
  RowOverlay overlay;
  overlay.erase("never written");  // an erase of a row only the database holds
  ASSERT_NE(overlay.find("never written"), nullptr);
  EXPECT_FALSE(overlay.find("never written")->present);
  overlay.put("k", "v");
  overlay.erase("k");
  EXPECT_EQ(read(overlay, "k"), std::nullopt);
  overlay.put("k", "back");
  EXPECT_EQ(read(overlay, "k"), "back");
  EXPECT_EQ(overlay.size(), 2u);
}

TEST(RowOverlayTest, CountsKeyValueAndSlotBytes) {
  RowOverlay overlay;
  overlay.put("key", "value");
  const size_t one_row = overlay.bytes();
  EXPECT_GE(one_row, 3u + 5u);
  overlay.put("key", "v");  // rewritten in place: no new bytes
  EXPECT_EQ(overlay.bytes(), one_row);
  overlay.put("key", std::string(100, 'x'));  // appended: the old room is not reused
  EXPECT_EQ(overlay.bytes(), one_row + 100);
}

// Many rows of every size, rewritten and erased at random, through the
// table's growth and many arena blocks (one larger than a block): every key
// and value read back must be the last one written, as in a std::map.
TEST(RowOverlayTest, AgreesWithAMapThroughGrowthRewritesAndErasures) {
  std::mt19937 rng(7);
  auto text = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());  // any byte, zeros too
    return s;
  };
  for (int round = 0; round < 2; ++round) {
    RowOverlay overlay;
    std::map<std::string, std::optional<std::string>> model;
    for (int i = 0; i < 60000; ++i) {
      // Mostly a small key space (rows rewritten and erased again and
      // again), sometimes keys of any bytes and length.
      const std::string key = rng() % 4 ? "row" + std::to_string(rng() % 3000)
                                        : "row" + std::to_string(rng() % 3000) + text(rng() % 40);
      switch (rng() % 8) {
        case 0:
          overlay.erase(key);
          model[key] = std::nullopt;
          break;
        case 1: {  // now and then larger than an arena block
          const std::string value = text(i % 1000 == 1 ? 300 << 10 : rng() % 200);
          overlay.put(key, value);
          model[key] = value;
          break;
        }
        default: {
          const std::string value = text(rng() % 120);
          overlay.put(key, value);
          model[key] = value;
        }
      }
    }
    ASSERT_EQ(overlay.size(), model.size());
    for (const auto& [key, value] : model) ASSERT_EQ(read(overlay, key), value) << "round " << round;
    size_t seen = 0;
    for (const auto& [key, row] : overlay.rows()) {
      ASSERT_TRUE(model.count(std::string(key)));
      ++seen;
    }
    EXPECT_EQ(seen, model.size());
  }
}

}  // namespace
}  // namespace carelog::row_overlay_test
