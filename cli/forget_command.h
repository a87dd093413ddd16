// `carelog forget-buyer --data-dir D --seller S --buyer B`: erases a buyer
// (engine/erasure.h), on the data dir itself when no engine runs on it, or
// through the running engine's API (POST /v1/admin/forget-buyer).
#pragma once

#include <string>

#include "projections/returns_queue.h"

namespace carelog {

struct ForgetCommand {
  std::string data_dir = "data";
  std::string seller, buyer;
  std::string token;  // bearer token for a running engine's API
};

int run_forget_buyer(const ForgetCommand& command, const ReturnsPolicy& policy);

}  // namespace carelog
