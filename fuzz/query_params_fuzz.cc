// libFuzzer target: the query API's parameter handling. The input is read as
// a query string ("a=1&b=2", percent-decoding not applied) and sent to every
// endpoint of QueryService over a small real log (the sample feed, ingested
// once into a temporary data dir). It must never crash, and every answer
// must be a 200, 400 or 404 with a JSON body.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "connectors/query_service.h"
#include "engine/event_log.h"
#include "engine/ingest.h"

namespace {

carelog::EventLog* sample_log() {
  static std::unique_ptr<carelog::EventLog> log = [] {
    auto dir = std::filesystem::temp_directory_path() / ("carelog-fuzz-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::unique_ptr<carelog::EventLog> l;
    if (!carelog::EventLog::open(dir.string(), {}, l).ok()) std::abort();
    carelog::EngineMetrics metrics;
    carelog::Ingestor ingestor(*l, carelog::IngestOptions{"fuzz", {}, {}}, metrics, nullptr);
    const char* feed = std::getenv("CARELOG_FUZZ_FEED");
    std::ifstream in(feed ? feed : "samples/seed-feed.jsonl");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::vector<carelog::SourceRecord> records;
    for (size_t i = 0; i < lines.size(); ++i) {
      records.push_back({0, static_cast<int64_t>(i), static_cast<int64_t>(i + 1), std::nullopt, lines[i]});
    }
    if (records.empty() || !ingestor.ingest(records).ok()) std::abort();
    return l;
  }();
  return log.get();
}

carelog::QueryParams parse(std::string_view s) {
  carelog::QueryParams p;
  while (!s.empty()) {
    size_t amp = s.find('&');
    std::string_view pair = s.substr(0, amp);
    size_t eq = pair.find('=');
    p[std::string(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    s.remove_prefix(amp + 1);
  }
  return p;
}

void check(const carelog::QueryResponse& r) {
  bool json = !r.body.empty() && r.body.front() == '{' && r.body.back() == '}';
  if (!json || (r.status != 200 && r.status != 400 && r.status != 404)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  carelog::QueryService q(*sample_log(), nullptr);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  carelog::QueryParams params = parse(input);
  for (const std::string seller : {"A2SELLER0001", "NOBODY"}) {
    check(q.response_times(seller, params));
    check(q.returns(seller, params));
    check(q.messages(seller, params));
    check(q.account_health(seller, params));
    check(q.return_settings(seller, params));
    check(q.deadlines(seller, params));
  }
  check(q.order_history("403-9930700-9360319", params));
  check(q.rejected(params));
  check(q.audit_partitions(params));
  return 0;
}
