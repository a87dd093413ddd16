#include "engine/failure_probe.h"

#include <atomic>
#include <map>
#include <mutex>
#include <string>

namespace carelog::failure_probe {
namespace {

std::atomic<bool> any_armed{false};
std::mutex mutex;
std::map<std::string, uint64_t, std::less<>>& passes_left() {  // name -> passes before it fires
  static std::map<std::string, uint64_t, std::less<>> armed;
  return armed;
}

}  // namespace

void arm(std::string_view name, uint64_t nth) {
  std::lock_guard lock(mutex);
  passes_left()[std::string(name)] = nth;
  any_armed.store(true, std::memory_order_relaxed);
}

void disarm_all() {
  std::lock_guard lock(mutex);
  passes_left().clear();
  any_armed.store(false, std::memory_order_relaxed);
}

bool fires(std::string_view name) {
  if (!any_armed.load(std::memory_order_relaxed)) return false;
  std::lock_guard lock(mutex);
  auto it = passes_left().find(name);
  if (it == passes_left().end() || --it->second > 0) return false;
  passes_left().erase(it);
  if (passes_left().empty()) any_armed.store(false, std::memory_order_relaxed);
  return true;
}

}  // namespace carelog::failure_probe
