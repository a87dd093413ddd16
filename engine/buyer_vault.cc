#include "engine/buyer_vault.h"

#include <simdjson.h>
#include <sodium.h>

#include <functional>

#include "events/json_encoder.h"
#include "events/log_codec.h"

namespace carelog {
namespace {

constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

std::string row(char kind, std::string_view seller, std::string_view id) {
  std::string k;
  k.reserve(2 + seller.size() + id.size());
  k.push_back(kind);
  k.append(seller);
  k.push_back('\0');
  k.append(id);
  return k;
}

// Visits every buyer-identifying text field of `e` that is present, with a
// tag naming it (part of the associated data).
void for_each_buyer_text(Event& e, const std::function<void(std::string&, char)>& fn) {
  std::visit(
      [&](auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, MessageReceived>) {
          fn(d.buyer_alias, 'a');
          fn(d.subject, 's');
          fn(d.body, 'b');
        } else if constexpr (std::is_same_v<T, MessageSent>) {
          if (d.subject) fn(*d.subject, 's');
          fn(d.body, 'b');
        } else if constexpr (std::is_same_v<T, ReturnRequested>) {
          if (d.comment) fn(*d.comment, 'c');
        } else if constexpr (std::is_same_v<T, ReturnClosed>) {
          if (d.message) fn(*d.message, 'm');
        } else if constexpr (std::is_same_v<T, FeedbackReceived>) {
          if (d.comment) fn(*d.comment, 'c');
        }
      },
      e.data);
}

std::string aad(const Event& e, char field) { return e.seller_id + '\0' + e.event_id + '\0' + field; }

std::string seal(std::string_view plain, const std::string& key, const std::string& ad) {
  std::string out(kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(p, kNonceBytes);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(p + kNonceBytes, &n, reinterpret_cast<const unsigned char*>(plain.data()),
                                             plain.size(), reinterpret_cast<const unsigned char*>(ad.data()),
                                             ad.size(), nullptr, p,
                                             reinterpret_cast<const unsigned char*>(key.data()));
  out.resize(kNonceBytes + n);
  return out;
}

std::optional<std::string> open_sealed(std::string_view sealed, const std::string& key, const std::string& ad) {
  if (sealed.size() < kNonceBytes + kTagBytes) return std::nullopt;
  std::string out(sealed.size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long n = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &n, nullptr, p + kNonceBytes, sealed.size() - kNonceBytes,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), p,
          reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

std::optional<std::string> lookup(LogBatch& batch, char kind, std::string_view seller,
                                  const std::optional<std::string>& id) {
  if (!id || id->empty()) return std::nullopt;
  return batch.vault_get(row(kind, seller, *id));
}

}  // namespace

std::string vault_key_row(std::string_view seller, std::string_view buyer) { return row('K', seller, buyer); }

std::string vault_link_row(char kind, std::string_view seller, std::string_view id) { return row(kind, seller, id); }

namespace {

bool concerns(const EventLog& log, simdjson::dom::element value, const std::string& seller, const std::string& buyer,
              int depth) {
  if (depth > 64) return false;
  if (value.is_array()) {
    const simdjson::dom::array array = value.get_array().value_unsafe();
    for (simdjson::dom::element item : array) {
      if (concerns(log, item, seller, buyer, depth + 1)) return true;
    }
    return false;
  }
  if (!value.is_object()) return false;
  const simdjson::dom::object object = value.get_object().value_unsafe();
  for (auto [key, member] : object) {
    if (member.is_string()) {
      const std::string_view text = member.get_string().value_unsafe();
      if (key == "buyer_id" && text == buyer) return true;
      const char kind = key == "thread_id" ? 'T' : key == "order_id" ? 'O' : key == "return_id" ? 'R' : 0;
      if (kind && !text.empty()) {
        if (auto linked = log.vault_get(row(kind, seller, text)); linked && *linked == buyer) return true;
      }
    } else if (concerns(log, member, seller, buyer, depth + 1)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool record_concerns_buyer(const EventLog& log, std::string_view bytes, const std::string& seller,
                           const std::string& buyer) {
  if (buyer.empty()) return false;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(bytes.data(), bytes.size()).get(doc) != simdjson::SUCCESS) return false;
  return concerns(log, doc, seller, buyer, 0);
}

bool has_buyer_text(const Event& e) {
  bool any = false;
  for_each_buyer_text(const_cast<Event&>(e), [&](std::string&, char) { any = true; });
  return any;
}

std::optional<std::string> resolve_buyer(const Event& e, LogBatch& batch) {
  const std::string& s = e.seller_id;
  auto remember = [&](char kind, const std::optional<std::string>& id, const std::string& buyer) {
    if (id && !id->empty() && !lookup(batch, kind, s, id)) batch.vault_put(row(kind, s, *id), buyer);
  };
  // For an id the domain rules admit only when new (order.placed's order,
  // return.requested's return), there is nothing to look up: the row is
  // written, with the one buyer any event can give it.
  auto remember_new = [&](char kind, const std::string& id, const std::string& buyer) {
    if (!id.empty()) batch.vault_put(row(kind, s, id), buyer);
  };
  return std::visit(
      [&](const auto& d) -> std::optional<std::string> {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, OrderPlaced>) {
          remember_new('O', d.order_id, d.buyer_id);
          return d.buyer_id;
        } else if constexpr (std::is_same_v<T, MessageReceived>) {
          remember('T', d.thread_id, d.buyer_id);
          remember('O', d.order_id, d.buyer_id);
          return d.buyer_id;
        } else if constexpr (std::is_same_v<T, MessageSent>) {
          if (auto b = lookup(batch, 'T', s, d.thread_id)) return b;
          return lookup(batch, 'O', s, d.order_id);
        } else if constexpr (std::is_same_v<T, ReturnRequested>) {
          remember_new('R', d.return_id, d.buyer_id);
          return d.buyer_id;
        } else if constexpr (std::is_same_v<T, ReturnClosed>) {
          return lookup(batch, 'R', s, d.return_id);
        } else if constexpr (std::is_same_v<T, FeedbackReceived>) {
          return lookup(batch, 'O', s, d.order_id);
        } else {
          return std::nullopt;
        }
      },
      e.data);
}

bool seal_record(const LogRecord& plain, LogBatch& batch, LogRecord& sealed, std::string& sealed_binary) {
  auto buyer = resolve_buyer(plain.event, batch);
  if (!buyer || buyer->empty() || !has_buyer_text(plain.event)) return false;
  const std::string key_row = vault_key_row(plain.event.seller_id, *buyer);
  std::optional<std::string> key = batch.vault_get(key_row);
  if (!key) {
    key = std::string(kKeyBytes, '\0');
    randombytes_buf(key->data(), kKeyBytes);
    batch.vault_put(key_row, *key);
  }
  sealed.partition = plain.partition;
  sealed.source_offset = plain.source_offset;
  sealed.key = plain.key;
  sealed.sealed_for = *buyer;
  sealed.original = seal(plain.original, *key, aad(plain.event, 'o'));
  sealed.event = plain.event;
  for_each_buyer_text(sealed.event, [&](std::string& text, char field) {
    text = seal(text, *key, aad(plain.event, field));
  });
  sealed_binary = encode_binary(sealed.event);
  return true;
}

namespace {

// Opens the sealed fields of `r.event` with `key` (null: erased); false when
// any stays closed (it then reads kErasedText).
bool open_fields(const std::string* key, LogRecord& r) {
  if (key && key->size() != kKeyBytes) key = nullptr;
  bool intact = key != nullptr;
  Event& e = r.event;
  for_each_buyer_text(e, [&](std::string& text, char field) {
    std::optional<std::string> plain;
    if (key) plain = open_sealed(text, *key, aad(e, field));
    if (!plain) intact = false;
    text = plain ? std::move(*plain) : std::string(kErasedText);
  });
  return intact;
}

}  // namespace

const std::optional<std::string>& VaultKeyCache::key(std::string_view seller, std::string_view buyer) {
  row_ = row('K', seller, buyer);
  auto it = keys_.find(row_);
  if (it != keys_.end()) return it->second;
  if (keys_.size() >= capacity_) keys_.clear();
  return keys_.emplace(row_, log_.vault_get(row_)).first->second;
}

void unseal_event(VaultKeyCache& keys, LogRecord& r) {
  r.original.clear();
  if (r.sealed_for.empty()) return;
  const std::optional<std::string>& key = keys.key(r.event.seller_id, r.sealed_for);
  open_fields(key ? &*key : nullptr, r);
}

void unseal_record(const EventLog& log, LogRecord& r) {
  if (r.sealed_for.empty()) return;
  std::optional<std::string> key = log.vault_get(vault_key_row(r.event.seller_id, r.sealed_for));
  if (key && key->size() != kKeyBytes) key.reset();
  const bool intact = open_fields(key ? &*key : nullptr, r);
  Event& e = r.event;
  std::optional<std::string> original;
  if (key && intact) original = open_sealed(r.original, *key, aad(e, 'o'));
  r.original = original ? std::move(*original) : encode_json(e);
}

}  // namespace carelog
