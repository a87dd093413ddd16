// `carelog query WHAT --data-dir D ...`: the HTTP API's answers from a data
// dir opened read-only, as JSON or as a table a seller reads.
#pragma once

#include <string>

#include "connectors/query_service.h"

namespace carelog {

int run_query(const std::string& data_dir, const std::string& what, const std::string& seller,
              const std::string& order, const std::string& format, QueryParams params);

}  // namespace carelog
