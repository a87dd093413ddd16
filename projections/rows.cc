#include "projections/rows.h"

namespace carelog {

void append_u64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t read_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void append_time(std::string& out, int64_t micros) {
  append_u64(out, static_cast<uint64_t>(micros) ^ (uint64_t{1} << 63));
}

int64_t read_time(const char* p) { return static_cast<int64_t>(read_u64(p) ^ (uint64_t{1} << 63)); }

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char c = static_cast<unsigned char>(end.back());
    if (c != 0xff) {
      end.back() = static_cast<char>(c + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(64, '\xff');  // every key is below this in practice
}

}  // namespace carelog
