#include "connectors/file_source.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "engine/event_log.h"
#include "engine/log_record.h"

namespace carelog {

std::string FilePosition::encode() const {
  std::string out;
  put_be64(out, inode);
  put_be64(out, static_cast<uint64_t>(base));
  return out;
}

std::optional<FilePosition> FilePosition::decode(std::string_view bytes) {
  if (bytes.size() != 16) return std::nullopt;
  return FilePosition{get_be64(bytes.data()), static_cast<int64_t>(get_be64(bytes.data() + 8))};
}

Status FileSource::open(const std::string& path, int64_t start_offset, std::optional<FilePosition> stored,
                        std::unique_ptr<FileSource>& out) {
  std::unique_ptr<FileSource> src(new FileSource());
  src->path_ = path;
  src->file_ = std::fopen(path.c_str(), "rb");
  if (!src->file_) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fileno(src->file_), &st) != 0) return Status::Error("cannot stat " + path + ": " + std::strerror(errno));
  const uint64_t inode = static_cast<uint64_t>(st.st_ino);
  // Where the stored offset lies in this file, if it is the one it counted in.
  FilePosition position{inode, stored && stored->inode == inode ? stored->base : 0};
  if (stored && stored->inode != inode && start_offset > 0) {
    spdlog::warn("file source: {} is another file than the one read before (inode {}, was {}): reading it "
                 "from its start",
                 path, inode, stored->inode);
    position.base = start_offset;
  } else if (start_offset - position.base > static_cast<int64_t>(st.st_size) || start_offset < position.base) {
    spdlog::warn("file source: {} is shorter ({} bytes) than the position read before ({}): truncated, "
                 "reading it from its start",
                 path, static_cast<int64_t>(st.st_size), start_offset - position.base);
    position.base = start_offset;
  }
  const int64_t byte = start_offset - position.base;
  if (byte > 0 && std::fseek(src->file_, byte, SEEK_SET) != 0) {
    return Status::Error("cannot seek " + path + " to " + std::to_string(byte));
  }
  src->position_ = position;
  src->buffer_offset_ = start_offset;
  src->buffer_.resize(4 << 20);
  out = std::move(src);
  return Status::Ok();
}

bool FileSource::switch_if_rotated(Status& result) {
  struct stat now {}, open {};
  if (stat(path_.c_str(), &now) != 0 || fstat(fileno(file_), &open) != 0) return false;  // (gone: wait)
  const int64_t read_to = buffer_offset_ + static_cast<int64_t>(end_);  // the offset after every byte read
  const bool replaced = now.st_ino != open.st_ino;
  const bool truncated = !replaced && static_cast<int64_t>(now.st_size) < read_to - position_.base;
  if (!replaced && !truncated) return false;
  if (end_ > begin_) {
    spdlog::warn("file source: {} {} with {} bytes of an unterminated last line read: they are dropped", path_,
                 replaced ? "replaced" : "truncated", end_ - begin_);
  }
  if (replaced) {
    std::FILE* next = std::fopen(path_.c_str(), "rb");
    if (!next) {
      result = Status::Error("cannot open " + path_ + ": " + std::strerror(errno));
      return true;
    }
    std::fclose(file_);
    file_ = next;
  } else {
    std::rewind(file_);
  }
  struct stat reopened {};
  fstat(fileno(file_), &reopened);
  spdlog::warn("file source: {} was {}; reading its new content from its start (offsets go on from {})", path_,
               replaced ? "replaced by another file" : "truncated", read_to);
  position_ = FilePosition{static_cast<uint64_t>(reopened.st_ino), read_to};
  buffer_offset_ = read_to;
  begin_ = end_ = 0;
  eof_ = false;
  return true;
}

FileSource::~FileSource() {
  if (file_) std::fclose(file_);
}

Status FileSource::next_batch(size_t max, bool follow, std::span<const SourceRecord>& out, bool& at_end) {
  records_.clear();
  // Keep the unconsumed tail: move it to the front of the buffer.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    buffer_offset_ += static_cast<int64_t>(begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  at_end = false;
  while (records_.size() < max) {
    char* line = buffer_.data() + begin_;
    size_t avail = end_ - begin_;
    char* nl = static_cast<char*>(std::memchr(line, '\n', avail));
    if (!nl) {
      if (!eof_ || follow) {
        if (end_ == buffer_.size()) {
          if (begin_ > 0) break;  // let the caller consume first; compaction next call
          buffer_.resize(buffer_.size() * 2);  // a line longer than the buffer
        }
        size_t n = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
        if (n > 0) {
          end_ += n;
          continue;
        }
        if (std::ferror(file_)) return Status::Error("read error on " + path_);
        eof_ = true;
        std::clearerr(file_);  // so that follow mode can read what is appended later
        if (follow) {
          // Replaced or truncated: the caller stores the new position before
          // any record of it, so the batch ends here.
          Status rotated = Status::Ok();
          if (records_.empty() && switch_if_rotated(rotated)) {
            if (!rotated.ok()) return rotated;
            break;
          }
          at_end = true;
          break;
        }
        continue;
      }
      if (avail == 0) {
        at_end = true;
        break;
      }
      nl = line + avail;  // final line without a newline
    }
    size_t len = static_cast<size_t>(nl - line);
    size_t consumed = len + (nl < buffer_.data() + end_ ? 1 : 0);
    size_t trimmed = len;
    while (trimmed > 0 && (line[trimmed - 1] == '\r' || line[trimmed - 1] == ' ' || line[trimmed - 1] == '\t')) {
      --trimmed;
    }
    if (trimmed > 0) {
      SourceRecord r;
      r.partition = 0;
      r.offset = buffer_offset_ + static_cast<int64_t>(begin_);
      r.value = std::string_view(line, trimmed);
      r.next_offset = r.offset + static_cast<int64_t>(consumed);
      records_.push_back(r);
    }
    begin_ += consumed;
    if (follow) eof_ = false;
  }
  out = records_;
  return Status::Ok();
}

}  // namespace carelog
