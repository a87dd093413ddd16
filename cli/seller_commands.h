// `carelog message|return|refund|settings ...`: a seller's commands
// (spec/commands.md) sent to a running engine's HTTP API:
//   carelog message reply --seller S --message M --body TEXT [--subject TEXT]
//   carelog message no-response-needed --seller S --message M
//   carelog return authorize --seller S --return R [--rma X] [--label unpaid|prepaid|none]
//   [--address JSON] carelog return close --seller S --return R --reason CODE [--message TEXT]
//   carelog refund issue --seller S --order O [--return R] --amount 9.90 --currency EUR --kind
//   full|partial
//                        [--reason TEXT]
//   carelog settings returns --seller S --marketplace FR [--auto-authorize off|policy|all]
//                        [--window-days N] [--address JSON] [--email-action-links true|false]
// Every one takes --engine URL (env CARELOG_ENGINE, default http://127.0.0.1:8080), --token T
// (env CARELOG_TOKEN), --ca FILE (HTTPS) and --idempotency-key K. Exit 0 with the answer's JSON
// on stdout; 1 with the error's code and message on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace carelog {

class SellerCommandsCli {
 public:
  // Adds the subcommands to `app`.
  explicit SellerCommandsCli(CLI::App& app);
  // The exit code of the command parsed, if it is one of these.
  std::optional<int> run_if_parsed();

 private:
  // One subcommand: its route, and the body members its options fill.
  struct Member {
    CLI::Option* option = nullptr;
    std::string name;   // the body member
    bool json = false;  // the value is JSON text (an object, a number, a boolean), not a string
  };
  struct Route {
    CLI::App* app = nullptr;
    std::string method, path;  // path with {seller}, {message}, {return}, {marketplace}
    std::vector<Member> members;
  };
  Route& add(CLI::App& parent, const std::string& name, const std::string& help, std::string method,
             std::string path);
  // An option of `route` that fills body member `member`.
  void member(Route& route, const std::string& flag, const std::string& member,
              const std::string& help, bool json = false, bool required = false);
  int send(const Route& route);

  std::vector<std::unique_ptr<Route>> routes_;
  std::string engine_, token_, ca_, key_;
  std::string seller_, message_, return_, marketplace_;
  std::map<std::string, std::string> values_;  // by body member
  std::string amount_, currency_;
};

}  // namespace carelog
