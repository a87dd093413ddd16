// Failure probes: named points where a test makes the engine fail as a
// broken disk would, to exercise the recovery that follows. arm(name, n)
// makes the n-th pass through fires(name) after it return true, once; no
// probe is armed unless a test arms one. Unarmed, a pass costs one relaxed
// atomic load.
//
// Probes: "log.commit" (EventLog::commit fails before writing anything).
// Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace carelog::failure_probe {

void arm(std::string_view name, uint64_t nth);
void disarm_all();
bool fires(std::string_view name);

}  // namespace carelog::failure_probe
