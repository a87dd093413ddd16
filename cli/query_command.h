// `carelog query WHAT --data-dir D ...`: the HTTP API's answers from a data
// dir opened read-only, as JSON or as a table a seller reads. Records past
// the projections' last checkpoint (a running or killed engine's) are folded
// in, with `policy` (the engine's return policy).
#pragma once

#include <string>

#include "connectors/query_service.h"

namespace carelog {

int run_query(const std::string& data_dir, const std::string& what, const std::string& seller,
              const std::string& order, const std::string& format, QueryParams params,
              const ReturnsPolicy& policy);

}  // namespace carelog
