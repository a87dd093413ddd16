// A value or the Rejection that explains why there is none.
#pragma once

#include <utility>
#include <variant>

#include "events/rejection.h"

namespace carelog {

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}                // NOLINT: implicit by design
  Result(Rejection rejection) : v_(std::move(rejection)) {} // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const Rejection& rejection() const { return std::get<1>(v_); }

 private:
  std::variant<T, Rejection> v_;
};

}  // namespace carelog
