// Signed action links: what a notification e-mail carries so that a seller
// can act on a return from the e-mail itself (the seed: « Autoriser la
// demande », « Fermer la demande » from the request's e-mail), without a
// bearer token. The link is its own credential, so it is:
//   signed    HMAC-SHA-256 with the configured secret over everything it
//             says (seller, action, target, expiry, nonce): an altered link
//             does not verify;
//   expiring  at the notification's event time plus the configured TTL;
//   single-use: the command it carries has an event id derived from the
//             link's nonce, so a second use finds the event in the log.
// A link is deterministic (its expiry and nonce come from the derived
// notification, not from a clock), so a replay derives the same bytes.
//
// Token: base64url(payload) "." base64url(MAC), payload
// "v1|seller|action|target|expires_unix_s|nonce".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace carelog {

struct ActionLink {
  std::string seller_id;
  std::string action;     // "authorize", "close" (a return) or "reply" (a message)
  std::string target;     // the return id or message id
  int64_t expires_s = 0;  // Unix seconds
  std::string nonce;      // 32 hex digits
};

class ActionLinkSigner {
 public:
  // `secret`: at least kMinSecretBytes bytes. `base_url`: what the links
  // start with ("https://carelog.example.com"); `ttl_s`: their life.
  ActionLinkSigner(std::string secret, std::string base_url, int64_t ttl_s);
  static constexpr size_t kMinSecretBytes = 32;

  // The token of `link`.
  std::string token(const ActionLink& link) const;
  // The URL a notification carries: base_url + "/v1/actions/" + token.
  std::string url(const ActionLink& link) const;
  // The link `token` says, if its MAC verifies (in constant time) and it is
  // well formed; its expiry is the caller's to check.
  std::optional<ActionLink> verify(std::string_view token) const;
  int64_t ttl_s() const { return ttl_s_; }

 private:
  std::string secret_, base_url_;
  int64_t ttl_s_;
};

// The nonce of the link for `action` of a derived notification (from its event id).
std::string action_link_nonce(std::string_view notification_event_id, std::string_view action);

}  // namespace carelog
