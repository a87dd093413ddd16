#include "connectors/file_source.h"

#include <cerrno>
#include <cstring>

namespace carelog {

Status FileSource::open(const std::string& path, int64_t start_offset, std::unique_ptr<FileSource>& out) {
  std::unique_ptr<FileSource> src(new FileSource());
  src->path_ = path;
  src->file_ = std::fopen(path.c_str(), "rb");
  if (!src->file_) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  if (start_offset > 0 && std::fseek(src->file_, start_offset, SEEK_SET) != 0) {
    return Status::Error("cannot seek " + path + " to " + std::to_string(start_offset));
  }
  src->buffer_offset_ = start_offset;
  src->buffer_.resize(4 << 20);
  out = std::move(src);
  return Status::Ok();
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
