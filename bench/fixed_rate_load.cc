// An open-loop HTTP load generator: GET requests at a fixed total rate, the
// latency of each measured from the instant it was due to be sent (not from
// when it could be sent), so a slow answer delays the requests behind it and
// shows in their latency too (no coordinated omission, as in wrk2).
//
//   carelog_load --url http://127.0.0.1:8080 --paths FILE --rate 1000
//                [--seconds 10] [--connections 8] [--warmup-seconds 1]
//
// FILE holds one path per line, requested in turn. Prints one line:
//   requests N errors E rate R/s p50 X us p90 X us p99 X us p99.9 X us max X us
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string paths_file;
  double rate = 1000;
  double seconds = 10;
  double warmup_seconds = 1;
  int connections = 8;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "carelog_load: %s\nusage: carelog_load --url http://HOST:PORT --paths FILE --rate R "
               "[--seconds S] [--connections C] [--warmup-seconds W]\n", why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value of " + a).c_str());
    std::string v = argv[++i];
    if (a == "--url") {
      const std::string scheme = "http://";
      if (v.rfind(scheme, 0) != 0) usage("--url must start with http://");
      v = v.substr(scheme.size());
      auto colon = v.rfind(':');
      if (colon == std::string::npos) usage("--url needs a port");
      o.host = v.substr(0, colon);
      o.port = std::atoi(v.c_str() + colon + 1);
    } else if (a == "--paths") {
      o.paths_file = v;
    } else if (a == "--rate") {
      o.rate = std::atof(v.c_str());
    } else if (a == "--seconds") {
      o.seconds = std::atof(v.c_str());
    } else if (a == "--warmup-seconds") {
      o.warmup_seconds = std::atof(v.c_str());
    } else if (a == "--connections") {
      o.connections = std::atoi(v.c_str());
    } else {
      usage(("unknown option " + a).c_str());
    }
  }
  if (o.paths_file.empty()) usage("--paths is required");
  if (o.rate <= 0 || o.seconds <= 0 || o.connections <= 0 || o.port <= 0) usage("bad number");
  return o;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::vector<std::string> paths;
  {
    std::ifstream in(o.paths_file);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) paths.push_back(line);
    }
  }
  if (paths.empty()) usage("no path in --paths");

  // Request k (over all connections) is due at start + k / rate; connection
  // c sends k = c, c + C, c + 2C, ...; the first warmup_seconds are not counted.
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto total = static_cast<int64_t>(o.rate * (o.warmup_seconds + o.seconds));
  const auto warmup = static_cast<int64_t>(o.rate * o.warmup_seconds);
  std::vector<std::vector<double>> latencies(static_cast<size_t>(o.connections));
  std::atomic<int64_t> errors{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client(o.host, o.port);
      client.set_keep_alive(true);
      client.set_read_timeout(30, 0);
      auto& mine = latencies[static_cast<size_t>(c)];
      for (int64_t k = c; k < total; k += o.connections) {
        const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(k) * 1e9 / o.rate));
        std::this_thread::sleep_until(due);
        auto res = client.Get(paths[static_cast<size_t>(k) % paths.size()]);
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - due).count();
        if (!res || res->status != 200) {
          ++errors;
          continue;
        }
        if (k >= warmup) mine.push_back(us);
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count() - o.warmup_seconds;

  std::vector<double> all;
  for (const auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  std::printf("requests %zu errors %lld rate %.0f/s p50 %.0f us p90 %.0f us p99 %.0f us p99.9 %.0f us max %.0f us\n",
              all.size(), static_cast<long long>(errors.load()), static_cast<double>(all.size()) / elapsed,
              percentile(all, 50), percentile(all, 90), percentile(all, 99), percentile(all, 99.9),
              all.empty() ? 0.0 : all.back());
  return errors.load() == 0 ? 0 : 1;
}
