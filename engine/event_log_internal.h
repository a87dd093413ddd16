// Pieces of the event log's implementation shared by its source files
// (event_log.cc: records, opening, reads; log_batch.cc: a batch's writes;
// projection_generations.cc: the generations, the batch gate, the
// projected-through marks). Not an API.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "engine/event_log.h"
#include "engine/status.h"

namespace carelog::event_log_detail {

inline constexpr const char* kProjectionsCf = "projections";
// Meta key naming the active projection generation.
inline constexpr const char* kGenerationKey = "projections_generation";

// kind ':' be32 partition, the meta column family's per-partition keys.
std::string meta_key(std::string_view kind, uint32_t partition);
// Options of every column family (shared block cache, bloom filters for
// point lookups).
rocksdb::ColumnFamilyOptions cf_options(bool point_lookups);
Status to_status(const rocksdb::Status& s, const char* what);
// Values and keys of the meta and event_ids families.
std::string encode_head(const PartitionHead& h);
std::string encode_id_entry(const EventIdEntry& e);
bool decode_id_entry(std::string_view v, EventIdEntry& e);
// seller_id | 0x00 | event_id
std::string event_id_key(std::string_view seller_id, std::string_view event_id);

// Generation N's column family: "projections" for 1, "projections.N" after.
std::string generation_family_name(uint64_t number);
// The generation number of a column family name; 0 when it is not one.
uint64_t generation_of(const std::string& name);
// Meta key of a generation's row format (ProjectionGeneration::format).
std::string generation_format_key(uint64_t number);
// Replaces every projected-through mark by `through`, in `b`.
void put_through_marks(rocksdb::WriteBatch& b, rocksdb::ColumnFamilyHandle* meta,
                       const std::map<uint32_t, uint64_t>& through);

}  // namespace carelog::event_log_detail
