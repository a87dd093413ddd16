// One long-lived thread that runs posted jobs one at a time, in order; each
// job's Status comes back through a future. The ingest step commits batches
// on it (ingest.h): a thread per batch started cold each time (RocksDB's and
// the allocator's per-thread state).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "engine/status.h"

namespace carelog {

class SerialWorker {
 public:
  SerialWorker();
  ~SerialWorker();  // runs the jobs already posted, then joins
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  std::future<Status> post(std::function<Status()> job);

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<Status()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace carelog
