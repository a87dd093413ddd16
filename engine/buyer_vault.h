// The buyer vault: crypto-shredding of buyer-identifying text in an
// immutable log.
//
// Buyer-identifying text — the buyer alias, message subjects and bodies,
// return comments and closing messages, feedback comments — is sealed with a
// key of its own per (seller, buyer) before a record is appended: the stored
// original envelope and those fields of the stored event are ciphertext
// (XChaCha20-Poly1305, libsodium; the event id and field are the associated
// data). The hash chain covers the ciphertext, so destroying a key changes
// nothing the chain checks.
//
// Reading a record unseals it; when its key is gone, the fields read as
// "[erased]" and the original as the envelope re-encoded with them.
//
// Vault rows (column family buyer_keys), keyed by seller:
//   'K' seller 0x00 buyer  -> 32-byte key
//   'T' seller 0x00 thread -> buyer   (a thread's buyer, from received messages)
//   'O' seller 0x00 order  -> buyer   (from order.placed and received messages)
//   'R' seller 0x00 return -> buyer   (from return.requested)
// A seller's message on a thread and order the vault cannot tie to a buyer is
// stored as it came (there is no buyer to erase it for).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <absl/container/flat_hash_map.h>

#include "engine/event_log.h"
#include "events/event.h"

namespace carelog {

inline constexpr std::string_view kErasedText = "[erased]";

// True when `e` carries buyer-identifying text.
bool has_buyer_text(const Event& e);

// The buyer `e` concerns, as far as the vault knows (recording, in `batch`,
// the ids that lead to a buyer for later events).
std::optional<std::string> resolve_buyer(const Event& e, LogBatch& batch);

// The stored form of `plain`: when it has buyer text and a buyer, `sealed`
// gets the sealed original, sealed fields and sealed_for, and
// `sealed_binary` the binary encoding of the sealed event; false otherwise.
bool seal_record(const LogRecord& plain, LogBatch& batch, LogRecord& sealed, std::string& sealed_binary);

// Turns a record read from the log back into its plain form (or its erased
// form when the key is gone).
void unseal_record(const EventLog& log, LogRecord& r);

// The buyer keys one scan of the log reads, each looked up in the vault
// once (a fold meets the same buyers again and again). Holds at most
// `capacity` keys (then starts again empty). A key erased after it was
// cached still opens what this cache opens: a scan that may meet an erasure
// (an online rebuild) refolds the erased sellers after it (replay.h).
class VaultKeyCache {
 public:
  explicit VaultKeyCache(const EventLog& log, size_t capacity = 100'000) : log_(log), capacity_(capacity) {}
  // The key of (seller, buyer), nullopt when the vault has none.
  const std::optional<std::string>& key(std::string_view seller, std::string_view buyer);

 private:
  const EventLog& log_;
  size_t capacity_;
  std::string row_;  // scratch
  absl::flat_hash_map<std::string, std::optional<std::string>> keys_;  // by vault key row
};

// As unseal_record, for a fold: opens the event's buyer text only and
// leaves `r.original` empty (no fold reads it).
void unseal_event(VaultKeyCache& keys, LogRecord& r);

std::string vault_key_row(std::string_view seller, std::string_view buyer);
// The vault row that ties an id of `kind` ('T' thread, 'O' order, 'R'
// return) of the seller to its buyer.
std::string vault_link_row(char kind, std::string_view seller, std::string_view id);

// Whether the JSON `bytes` (a rejected record) concern `buyer` of `seller`,
// by their decoded fields: a "buyer_id" equal to it, or a thread_id,
// order_id or return_id the vault ties to it, at any depth. Never by
// substring (an unknown or one-letter buyer id matches nothing it should
// not); bytes that are not JSON concern no one.
bool record_concerns_buyer(const EventLog& log, std::string_view bytes, const std::string& seller,
                           const std::string& buyer);

}  // namespace carelog
