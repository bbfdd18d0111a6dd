#pragma once
// Small file helpers shared by the readers and writers: whole-file reads with clear errors, and
// atomic writes (a failure never leaves a half-written file at the target path).
#include <cstdio>
#include <string>

namespace sunbae::io {

std::string read_text_file(const std::string& path);  // throws Error naming path
// Reads path, inflating it when it is gzip-compressed (by its magic bytes, whatever its name);
// a corrupt or truncated stream is an Error naming path. Output is capped at max_bytes.
std::string read_maybe_gzip(const std::string& path, size_t max_bytes = size_t(1) << 31);

// Writes "<path>.tmp", and on commit() flushes, fsyncs and renames it over path; destroying it
// without commit() removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(const void* p, size_t n);
  void commit();

 private:
  std::string path_, tmp_;
  FILE* f_ = nullptr;
  bool committed_ = false;
};

void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace sunbae::io
