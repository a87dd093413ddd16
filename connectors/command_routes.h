// The HTTP routes of spec/commands.md, served by CommandService:
//   POST /v1/sellers/{seller_id}/messages/{message_id}/reply
//   POST /v1/sellers/{seller_id}/messages/{message_id}/no-response-needed
//   POST /v1/sellers/{seller_id}/returns/{return_id}/authorize
//   POST /v1/sellers/{seller_id}/returns/{return_id}/close
//   POST /v1/sellers/{seller_id}/refunds
//   PUT  /v1/sellers/{seller_id}/return-settings/{marketplace}
// A command needs Content-Type: application/json (415 otherwise: a web page
// of another origin cannot send that without a preflight, which this server
// never grants), takes no query parameter, and may carry Idempotency-Key
// (1..255 printable ASCII) and X-Request-Id (1..128 printable ASCII;
// generated when absent, and answered in the X-Request-Id header).
#pragma once

#include <functional>
#include <string>

#include "connectors/command_service.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace carelog {

// Calls `act` with who acts ("admin", the token's seller id, or
// "unauthenticated" when the API has no tokens) when the request may act for
// `seller`; otherwise answers 401 or 403 itself.
using ActFor =
    std::function<void(const httplib::Request&, httplib::Response&, const std::string& seller,
                       const std::function<void(const std::string& acted_by)>& act)>;
// True when this instance serves `seller` (scale-out); otherwise the
// response holds the forwarded answer or a 503.
using RoutedHere =
    std::function<bool(const httplib::Request&, httplib::Response&, const std::string& seller)>;

void add_command_routes(httplib::Server& srv, const CommandService& commands, ActFor act_for,
                        RoutedHere routed_here);

// With action links configured (CommandService::serves_action_links):
//   GET  /v1/actions/{token}   what the link does, and whether it was used
//   POST /v1/actions/{token}   carries it out (a close's reason or a reply's body as the command's)
// without a bearer token: the signed link is the credential.
void add_action_link_routes(httplib::Server& srv, const CommandService& commands,
                            RoutedHere routed_here);

}  // namespace carelog
