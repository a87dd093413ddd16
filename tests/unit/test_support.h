// Shared helpers for the unit tests: temporary directories and envelopes in
// the seed's domain (seller A2SELLER0001 on Amazon.fr, order
// 403-9930700-9360319, the Hello Kitty plush returned as defective), and
// source records over lines of a feed.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/event_log.h"
#include "engine/ingest.h"
#include "engine/metrics.h"

namespace carelog::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("carelog-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// An flock(2) on a file, released when it goes out of scope.
class FileLock {
 public:
  // Blocks until the lock is taken (`wait`), or gives up at once; held()
  // says which. Creates the file if needed; never removes it (a lock file
  // unlinked while another process waits on it would let a third lock a new
  // file of the same name).
  FileLock(const std::string& path, int operation, bool wait = true)
      : fd_(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644)) {
    held_ = fd_ >= 0 && flock(fd_, operation | (wait ? 0 : LOCK_NB)) == 0;
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return held_; }
  // From exclusive to shared: others may copy, none may remove.
  void share() { held_ = flock(fd_, LOCK_SH) == 0; }

 private:
  int fd_;
  bool held_ = false;
};

// Copies into `to` a directory that `make` fills once per test binary: ctest
// runs each test in a process of its own, so a fixture that ingests the same
// feed for every test would do it again each time. The first process to get
// here runs `make` on an empty directory under an exclusive lock (`make` must
// close what it opened there, and return false on failure); the others wait
// for it, then copy under a shared lock. False when `make` failed: nothing
// was shared or copied.
// Invariant: a shared directory is only read once complete (its "COMPLETE"
// marker is written last), and is named after `name` and the identity of the
// test binary (inode, size, modification time), so a rebuilt binary never
// copies what an older one made. Older binaries' directories of the same
// `name`, unused for an hour and locked by no one, are removed when a new
// one is made.
inline bool copy_shared_dir(const std::string& name, const std::filesystem::path& to,
                            const std::function<bool(const std::string&)>& make) {
  namespace fs = std::filesystem;
  struct stat exe {};
  if (stat("/proc/self/exe", &exe) != 0) throw std::runtime_error("cannot stat /proc/self/exe");
  const std::string prefix = "carelog-shared-" + name + "-";
  const fs::path shared = fs::temp_directory_path() /
      (prefix + std::to_string(exe.st_ino) + "-" + std::to_string(exe.st_size) + "-" +
       std::to_string(exe.st_mtim.tv_sec) + "." + std::to_string(exe.st_mtim.tv_nsec));
  FileLock lock(shared.string() + ".lock", LOCK_EX);
  if (!lock.held()) throw std::runtime_error("cannot lock " + shared.string() + ".lock");
  if (!fs::exists(shared / "COMPLETE")) {
    const auto stale = fs::file_time_type::clock::now() - std::chrono::hours(1);
    for (const auto& entry : fs::directory_iterator(fs::temp_directory_path())) {
      const std::string file = entry.path().filename().string();
      std::error_code ec;
      if (file.rfind(prefix, 0) != 0 || entry.path() == shared || !entry.is_directory(ec)) continue;
      FileLock theirs(entry.path().string() + ".lock", LOCK_EX, /*wait=*/false);
      if (theirs.held() && fs::last_write_time(entry.path(), ec) < stale) fs::remove_all(entry.path(), ec);
    }
    fs::remove_all(shared);
    fs::create_directories(shared);
    if (!make(shared.string())) {
      fs::remove_all(shared);
      return false;
    }
    std::ofstream(shared / "COMPLETE") << "complete\n";
  }
  fs::last_write_time(shared, fs::file_time_type::clock::now());  // in use: not stale
  lock.share();
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(shared)) {
    if (entry.path().filename() == "COMPLETE") continue;
    fs::copy(entry.path(), to / entry.path().filename(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  return true;
}

// Opens a new log in `dir`, runs `feed` with an ingestor over it, and closes
// it: the maker of a shared directory above. False when the log does not
// open or `feed` returns false.
inline bool make_ingested_log(const std::string& dir, const std::function<bool(Ingestor&)>& feed) {
  std::unique_ptr<EventLog> log;
  if (Status st = EventLog::open(dir, {}, log); !st.ok()) {
    std::fprintf(stderr, "make_ingested_log: %s\n", st.message().c_str());
    return false;
  }
  EngineMetrics metrics;
  Ingestor ingestor(*log, IngestOptions{"carelog.events", {}, {}}, metrics, nullptr);
  return feed(ingestor);
}

inline std::string envelope(const std::string& id, const std::string& type, const std::string& data,
                            const std::string& at = "2013-01-07T19:36:31+01:00",
                            const std::string& seller = "A2SELLER0001") {
  return R"({"event_id":")" + id + R"(","type":")" + type + R"(","occurred_at":")" + at +
         R"(","seller_id":")" + seller + R"(","marketplace":"FR","schema_version":1,"data":)" + data + "}";
}

inline const char* kOrder = "403-9930700-9360319";

inline std::string order_placed(const std::string& order = kOrder, const std::string& price = "1.00",
                                int quantity = 1) {
  return R"({"order_id":")" + order +
         R"(","buyer_id":"BUYER-DIENGOUDI","items":[{"sku":"JEM-021835","asin":"B00HELLOKT","title":"Jemini - 021835 - Peluche - Hello Kitty - Printemps","quantity":)" +
         std::to_string(quantity) + R"(,"item_price":{"amount":")" + price +
         R"(","currency":"EUR"},"category":"toys"}],"latest_ship_date":"2013-01-08T23:59:59+01:00","latest_delivery_date":"2013-01-12T23:59:59+01:00"})";
}

inline std::string return_requested(const std::string& return_id, const std::string& order = kOrder) {
  return R"({"return_id":")" + return_id + R"(","order_id":")" + order +
         R"(","buyer_id":"BUYER-DIENGOUDI","items":[{"sku":"JEM-021835","asin":"B00HELLOKT","quantity":1}],"reason":"defective","gift":false})";
}

inline std::string return_authorized(const std::string& return_id, const std::string& rma = "DYrkY0qDRR") {
  return R"({"return_id":")" + return_id + R"(","rma":")" + rma +
         R"(","return_address":{"name":"Carole Henry","line1":"test rue FR","city":"Paris","postal_code":"75015","country":"FR","phone":"01 23 24 25 26"},"label":"unpaid","authorized_by":"seller"})";
}

inline std::string refund(const std::string& refund_id, const std::string& amount,
                          const std::string& kind = "partial", const std::string& return_id = "",
                          const std::string& order = kOrder) {
  std::string r = R"({"refund_id":")" + refund_id + R"(","order_id":")" + order + R"(")";
  if (!return_id.empty()) r += R"(,"return_id":")" + return_id + R"(")";
  return r + R"(,"amount":{"amount":")" + amount + R"(","currency":"EUR"},"refund_kind":")" + kind + R"("})";
}

// Source records of values[begin, end) in `partition`: each at the offset of
// its index, next_offset = offset + 1, no key. The records point into
// `values`, which must outlive them.
inline std::vector<SourceRecord> source_records(const std::vector<std::string>& values, size_t begin, size_t end,
                                                uint32_t partition = 0) {
  std::vector<SourceRecord> out;
  out.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    SourceRecord r;
    r.partition = partition;
    r.offset = static_cast<int64_t>(i);
    r.next_offset = r.offset + 1;
    r.value = values[i];
    out.push_back(r);
  }
  return out;
}

// The string value of the first `"name":"` in `line` (a text search, not a
// JSON parse); "" when there is none.
inline std::string json_field(const std::string& line, const std::string& name) {
  auto at = line.find("\"" + name + "\":\"");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return line.substr(at, line.find('"', at) - at);
}

// The partition of `seller`'s events among `partitions`: the tests' stand-in
// for a producer's partitioner (a seller's events always share a partition).
inline uint32_t partition_of_seller(const std::string& seller, uint32_t partitions) {
  return static_cast<uint32_t>(std::hash<std::string>{}(seller) % partitions);
}

}  // namespace carelog::testing
