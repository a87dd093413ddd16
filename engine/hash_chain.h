// The per-partition hash chain that makes the log tamper-evident:
//   hash(record n) = BLAKE2b-256(hash(record n-1) || body(record n))
// with an all-zero hash before the first record of a partition. An auditor who
// holds a partition's head (sequence, hash) can prove that no earlier record
// was altered, inserted or removed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace carelog {

using Hash = std::array<uint8_t, 32>;

inline constexpr Hash kGenesisHash{};  // the "previous hash" of sequence 1

Hash chain_hash(const Hash& previous, std::string_view body);
// 16-byte BLAKE2b digest, used to tell a duplicate from a conflicting event.
std::array<uint8_t, 16> content_digest(std::string_view bytes);
std::string to_hex(const uint8_t* data, size_t n);
inline std::string to_hex(const Hash& h) { return to_hex(h.data(), h.size()); }

}  // namespace carelog
