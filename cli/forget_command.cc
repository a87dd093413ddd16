#include "cli/forget_command.h"

#include <httplib.h>

#include <cstdio>

#include "cli/engine_client.h"
#include "engine/erasure.h"
#include "engine/event_log.h"

namespace carelog {
namespace {

void print_result(const std::string& seller, const std::string& buyer, bool erased, uint64_t refolded) {
  if (erased) {
    std::printf("buyer %s of seller %s forgotten: key destroyed, %llu records of the seller refolded\n",
                buyer.c_str(), seller.c_str(), static_cast<unsigned long long>(refolded));
  } else {
    std::printf("seller %s holds no key for buyer %s (unknown buyer, or already forgotten)\n", seller.c_str(),
                buyer.c_str());
  }
}

int forget_through_engine(const ForgetCommand& c, const std::string& engine_json) {
  auto admin = engine_admin_client(engine_json, c.token, 300);
  if (!admin) {
    std::fprintf(stderr, "carelog: the engine running on %s serves no HTTP API (http = off): stop it, or "
                         "enable its API, to erase a buyer\n", c.data_dir.c_str());
    return 1;
  }
  httplib::Params params = {{"seller_id", c.seller}, {"buyer_id", c.buyer}};
  auto res = admin->http.Post("/v1/admin/forget-buyer?" + httplib::detail::params_to_query_str(params),
                              admin->headers, "", "application/x-www-form-urlencoded");
  if (!res) {
    std::fprintf(stderr, "carelog: cannot reach the engine running on %s at %s\n", c.data_dir.c_str(),
                 admin->url.c_str());
    return 1;
  }
  if (res->status != 200) {
    std::fprintf(stderr, "carelog: the engine refused the erasure (%d): %s\n", res->status, res->body.c_str());
    return res->status == 404 ? 3 : 1;
  }
  print_result(c.seller, c.buyer, json_field(res->body, "erased") == "true", json_u64(res->body, "records_refolded"));
  return 0;
}

}  // namespace

int run_forget_buyer(const ForgetCommand& c, const ReturnsPolicy& policy) {
  std::unique_ptr<EventLog> log;
  Status st = EventLog::open(c.data_dir, EventLogOptions{}, log);
  if (!st.ok()) {
    if (auto engine = running_engine_file(c.data_dir)) return forget_through_engine(c, *engine);
    std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
    return 1;
  }
  ErasureReport report;
  st = forget_buyer(*log, ProjectorOptions{policy}, c.seller, c.buyer, report);
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
    return st.message().rfind("unknown seller", 0) == 0 ? 3 : 1;
  }
  print_result(c.seller, c.buyer, report.key_found, report.records_refolded);
  return 0;
}

}  // namespace carelog
