#include "engine/hash_chain.h"

#include <sodium.h>

#include <cstdlib>

namespace carelog {
namespace {
// libsodium must be initialised once before use; sodium_init is idempotent
// and thread-safe.
void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}
}  // namespace

Hash chain_hash(const Hash& previous, std::string_view body) {
  ensure_sodium();
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  crypto_generichash_update(&st, previous.data(), previous.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  Hash out;
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

std::array<uint8_t, 16> content_digest(std::string_view bytes) {
  ensure_sodium();
  std::array<uint8_t, 16> out;
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  return out;
}

std::string to_hex(const uint8_t* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[data[i] >> 4];
    s[2 * i + 1] = digits[data[i] & 15];
  }
  return s;
}

}  // namespace carelog
