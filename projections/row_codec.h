// Tiny binary writer/reader for row values: fixed-width integers, length-
// prefixed strings, optionals. A Reader never reads past its input; a short or
// malformed value makes ok() false (the caller treats the row as corrupt).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace carelog {

class RowWriter {
 public:
  explicit RowWriter(std::string& out) : out_(out) {}
  void i64(int64_t v) { raw(&v, 8); }
  void i32(int32_t v) { raw(&v, 4); }
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void str(std::string_view s) {
    i32(static_cast<int32_t>(s.size()));
    out_.append(s);
  }
  void opt_i64(const std::optional<int64_t>& v) {
    boolean(v.has_value());
    if (v) i64(*v);
  }
  void opt_str(const std::optional<std::string>& v) {
    boolean(v.has_value());
    if (v) str(*v);
  }

 private:
  void raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string& out_;
};

class RowReader {
 public:
  explicit RowReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }
  int64_t i64() { int64_t v = 0; raw(&v, 8); return v; }
  int32_t i32() { int32_t v = 0; raw(&v, 4); return v; }
  uint8_t u8() { uint8_t v = 0; raw(&v, 1); return v; }
  bool boolean() {
    uint8_t b = u8();
    if (b > 1) ok_ = false;
    return b == 1;
  }
  std::string str() {
    int32_t n = i32();
    if (!ok_ || n < 0 || static_cast<size_t>(n) > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(0, static_cast<size_t>(n)));
    in_.remove_prefix(static_cast<size_t>(n));
    return s;
  }
  std::optional<int64_t> opt_i64() {
    if (!boolean()) return std::nullopt;
    return i64();
  }
  std::optional<std::string> opt_str() {
    if (!boolean()) return std::nullopt;
    return str();
  }

 private:
  void raw(void* p, size_t n) {
    if (in_.size() < n) {
      ok_ = false;
      std::memset(p, 0, n);
      return;
    }
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace carelog
