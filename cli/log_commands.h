// `carelog log count|tail|verify --data-dir D`: inspect a data dir (`log
// rejected` is `rejected list`, see audit_commands.h).
// They open the log read-only, so they work beside a running engine (seeing
// the log as it stood when they opened it).
#pragma once

#include <cstdint>
#include <string>

namespace carelog {

int log_count(const std::string& data_dir);
int log_tail(const std::string& data_dir, int64_t n, int64_t partition);
int log_verify(const std::string& data_dir);

}  // namespace carelog
