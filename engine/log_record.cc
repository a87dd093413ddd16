#include "engine/log_record.h"

#include <cstring>

#include "events/log_codec.h"

namespace carelog {

void put_be32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_be64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t get_be32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t get_be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void put_str(std::string& out, std::string_view s) {
  put_be32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}
bool get_str(std::string_view& in, std::string& s) {
  if (in.size() < 4) return false;
  uint32_t n = get_be32(in.data());
  if (in.size() - 4 < n) return false;
  s.assign(in.data() + 4, n);
  in.remove_prefix(4 + n);
  return true;
}

std::string log_key(uint32_t partition, uint64_t seq) {
  std::string k;
  k.reserve(12);
  put_be32(k, partition);
  put_be64(k, seq);
  return k;
}

bool parse_log_key(std::string_view key, uint32_t& partition, uint64_t& seq) {
  if (key.size() != 12) return false;
  partition = get_be32(key.data());
  seq = get_be64(key.data() + 4);
  return true;
}

namespace {
// Format 1: unsealed records. Format 2 adds sealed_for after the original.
constexpr uint8_t kFormat = 1;
constexpr uint8_t kSealedFormat = 2;

template <class T>
void put_le(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // the supported targets are little-endian
  out.append(buf, sizeof(T));
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  template <class T>
  bool get(T& v) {
    if (s_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(&v, s_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool get_string(std::string& v) {
    uint32_t n = 0;
    if (!get(n) || s_.size() - pos_ < n) return false;
    v.assign(s_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};
}  // namespace

void encode_log_body(const LogRecord& r, std::string_view event_binary, std::string& out) {
  out.reserve(out.size() + 33 + r.key.size() + r.original.size() + event_binary.size());
  out.push_back(static_cast<char>(r.sealed_for.empty() ? kFormat : kSealedFormat));
  put_le(out, r.partition);
  put_le(out, r.seq);
  put_le(out, r.source_offset);
  put_le(out, static_cast<uint32_t>(r.key.size()));
  out.append(r.key);
  put_le(out, static_cast<uint32_t>(r.original.size()));
  out.append(r.original);
  if (!r.sealed_for.empty()) {
    put_le(out, static_cast<uint32_t>(r.sealed_for.size()));
    out.append(r.sealed_for);
  }
  out.append(event_binary);
}

Result<LogRecord> decode_log_value(std::string_view value, std::string_view* body_out) {
  auto corrupt = [](std::string m) { return Rejection{"corrupt", "", std::move(m)}; };
  if (value.size() < 1 + 32) return corrupt("log value shorter than its hash");
  std::string_view body = value.substr(0, value.size() - 32);
  const auto format = static_cast<uint8_t>(body[0]);
  if (format != kFormat && format != kSealedFormat) return corrupt("unknown log record format");
  LogRecord r;
  Reader rd(body.substr(1));
  if (!rd.get(r.partition) || !rd.get(r.seq) || !rd.get(r.source_offset) || !rd.get_string(r.key) ||
      !rd.get_string(r.original) || (format == kSealedFormat && !rd.get_string(r.sealed_for))) {
    return corrupt("truncated log record header");
  }
  if (format == kSealedFormat && r.sealed_for.empty()) return corrupt("sealed record without its buyer");
  auto event = decode_binary(rd.rest());
  if (!event) return corrupt("event encoding: " + event.rejection().message);
  r.event = std::move(event.value());
  std::memcpy(r.hash.data(), value.data() + body.size(), 32);
  if (body_out) *body_out = body;
  return r;
}

}  // namespace carelog
