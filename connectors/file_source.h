// Reads envelopes from a JSONL file: one record per non-blank line, as
// partition 0 with the line's byte offset as its offset. The engine stores the
// offset after each batch like a Kafka offset, so a restart resumes after the
// last committed line. Lines are read in chunks into one reusable buffer.
//
// Not thread-safe.
#pragma once

#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/ingest.h"
#include "engine/status.h"

namespace carelog {

class FileSource {
 public:
  // Starts reading at byte `start_offset` (the stored offset, or 0).
  static Status open(const std::string& path, int64_t start_offset, std::unique_ptr<FileSource>& out);
  ~FileSource();

  // Fills `out` with up to `max` records; their bytes stay valid until the
  // next call. `at_end` is true when the file had no more complete lines (a
  // final line without newline counts as complete unless `follow`).
  Status next_batch(size_t max, bool follow, std::span<const SourceRecord>& out, bool& at_end);

 private:
  FileSource() = default;
  std::FILE* file_ = nullptr;
  std::string path_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // unconsumed bytes are buffer_[begin_, end_)
  int64_t buffer_offset_ = 0;   // file offset of buffer_[0]
  bool eof_ = false;
  std::vector<SourceRecord> records_;
};

}  // namespace carelog
