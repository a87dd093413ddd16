// Errors as values across module boundaries (as RocksDB's Status): a Status is
// either ok or carries a message meant for a human operator.
#pragma once

#include <string>
#include <utility>

namespace carelog {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }
  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string m) : failed_(true), message_(std::move(m)) {}
  bool failed_ = false;
  std::string message_;
};

}  // namespace carelog
