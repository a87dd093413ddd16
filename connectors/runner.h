// `carelog run`: wires a source (Kafka or file), the ingest step, the
// dead-letter sink and the stats log together and runs until stopped.
//
// SIGTERM/SIGINT: the batch in hand is finished and committed, the consumer
// leaves its group, and the process exits 0. After SIGKILL, a restart resumes
// from the offsets stored with the last committed batch.
#pragma once

#include "config/config.h"
#include "projections/returns_queue.h"

namespace carelog {

// Returns the process exit code.
int run_engine(const Config& config);

// The return policy of the config: [holiday.default], [holiday.FR] and
// [holiday."FR.2012"] tables, and the non-returnable categories.
ReturnsPolicy returns_policy(const Config& config);

}  // namespace carelog
