// Reads envelopes from a JSONL file: one record per non-blank line, as
// partition 0 with the line's offset as its offset. The engine stores the
// offset after each batch like a Kafka offset, so a restart resumes after the
// last committed line. Lines are read in chunks into one reusable buffer.
//
// Offsets count across the file's incarnations: offset = base + byte
// position in the file now read (FilePosition). When a followed file is
// replaced (a new inode: logrotate's create) or truncated (its size below
// the position read: copytruncate), the source reads the new content from
// its first byte with base = the offset reached, so offsets keep growing
// and nothing of the new content is taken for something delivered before.
// The caller stores the position (the engine: EventLog::set_source_state)
// once everything before it is committed; at open, a stored position whose
// inode is the file's maps the stored offset back to a byte position, and a
// file replaced or truncated meanwhile is read from its start.
//
// Not thread-safe.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ingest.h"
#include "engine/status.h"

namespace carelog {

// The source state (EventLog::source_state) a FilePosition is stored under.
inline constexpr const char* kFilePositionState = "file_position";

// The file incarnation offsets count in: offset = base + byte position.
struct FilePosition {
  uint64_t inode = 0;
  int64_t base = 0;
  std::string encode() const;
  static std::optional<FilePosition> decode(std::string_view bytes);
  bool operator==(const FilePosition&) const = default;
};

class FileSource {
 public:
  // Starts reading at offset `start_offset` (the stored offset, or 0) of the
  // incarnation `stored` (nullopt: none stored; offsets are byte positions).
  static Status open(const std::string& path, int64_t start_offset, std::optional<FilePosition> stored,
                     std::unique_ptr<FileSource>& out);
  ~FileSource();

  // Fills `out` with up to `max` records; their bytes stay valid until the
  // next call. `at_end` is true when the file had no more complete lines (a
  // final line without newline counts as complete unless `follow`). When
  // following, at the end of the file it checks whether the path now names
  // another file or a shorter one; then `out` is empty, `at_end` false, and
  // position() is the new incarnation's, which the next call reads.
  Status next_batch(size_t max, bool follow, std::span<const SourceRecord>& out, bool& at_end);
  // The incarnation read now.
  const FilePosition& position() const { return position_; }

 private:
  FileSource() = default;
  // At the end of a followed file: the path replaced or truncated? Then
  // reads the new content from its start (true).
  bool switch_if_rotated(Status& st);
  std::FILE* file_ = nullptr;
  FilePosition position_;
  std::string path_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // unconsumed bytes are buffer_[begin_, end_)
  int64_t buffer_offset_ = 0;   // file offset of buffer_[0]
  bool eof_ = false;
  std::vector<SourceRecord> records_;
};

}  // namespace carelog
