#include "engine/serial_worker.h"

namespace carelog {

SerialWorker::SerialWorker() : thread_([this] { run(); }) {}

SerialWorker::~SerialWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

std::future<Status> SerialWorker::post(std::function<Status()> job) {
  std::packaged_task<Status()> task(std::move(job));
  std::future<Status> result = task.get_future();
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(task));
  }
  cv_.notify_one();
  return result;
}

void SerialWorker::run() {
  for (;;) {
    std::packaged_task<Status()> task;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      task = std::move(jobs_.front());
      jobs_.pop_front();
    }
    task();
  }
}

}  // namespace carelog
