#include "engine/action_link.h"

#include <sodium.h>

#include <array>
#include <charconv>
#include <vector>

#include "engine/hash_chain.h"

namespace carelog {
namespace {

constexpr int kBase64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

std::string to_base64(const unsigned char* bytes, size_t n) {
  std::string out(sodium_base64_encoded_len(n, kBase64), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, n, kBase64);
  out.resize(out.size() - 1);  // (the terminating NUL)
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t n = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &n, nullptr, kBase64) != 0) {
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

using Mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

Mac mac_of(const std::string& secret, std::string_view payload) {
  Mac mac;
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(payload.data()),
                                payload.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  return mac;
}

// The fields of a payload split at '|' (none of them may hold one).
std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  for (size_t at = 0;;) {
    size_t bar = s.find('|', at);
    parts.push_back(
        s.substr(at, bar == std::string_view::npos ? std::string_view::npos : bar - at));
    if (bar == std::string_view::npos) return parts;
    at = bar + 1;
  }
}

}  // namespace

ActionLinkSigner::ActionLinkSigner(std::string secret, std::string base_url, int64_t ttl_s)
    : secret_(std::move(secret)), base_url_(std::move(base_url)), ttl_s_(ttl_s) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

std::string ActionLinkSigner::token(const ActionLink& link) const {
  const std::string payload = "v1|" + link.seller_id + "|" + link.action + "|" + link.target + "|" +
                              std::to_string(link.expires_s) + "|" + link.nonce;
  const Mac mac = mac_of(secret_, payload);
  return to_base64(reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) + "." +
         to_base64(mac.data(), mac.size());
}

std::string ActionLinkSigner::url(const ActionLink& link) const {
  return base_url_ + "/v1/actions/" + token(link);
}

std::optional<ActionLink> ActionLinkSigner::verify(std::string_view token) const {
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 2048) return std::nullopt;
  const std::optional<std::string> payload = from_base64(token.substr(0, dot));
  const std::optional<std::string> mac = from_base64(token.substr(dot + 1));
  if (!payload || !mac || mac->size() != crypto_auth_hmacsha256_BYTES) return std::nullopt;
  const Mac expected = mac_of(secret_, *payload);
  if (sodium_memcmp(expected.data(), mac->data(), expected.size()) != 0) return std::nullopt;
  const std::vector<std::string_view> parts = split(*payload);
  if (parts.size() != 6 || parts[0] != "v1") return std::nullopt;
  ActionLink link{std::string(parts[1]), std::string(parts[2]), std::string(parts[3]), 0,
                  std::string(parts[5])};
  auto [end, ec] =
      std::from_chars(parts[4].data(), parts[4].data() + parts[4].size(), link.expires_s);
  if (ec != std::errc() || end != parts[4].data() + parts[4].size()) return std::nullopt;
  return link;
}

std::string action_link_nonce(std::string_view notification_event_id, std::string_view action) {
  std::array<unsigned char, 16> digest{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, digest.size());
  const std::string input =
      "action-link|" + std::string(notification_event_id) + "|" + std::string(action);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(input.data()),
                            input.size());
  crypto_generichash_final(&state, digest.data(), digest.size());
  return to_hex(digest.data(), digest.size());
}

}  // namespace carelog
