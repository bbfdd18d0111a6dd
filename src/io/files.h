#pragma once
// Small file helpers shared by the readers and writers: whole-file reads with clear errors, and
// atomic writes (a failure never leaves a half-written file at the target path).
#include <cstdio>
#include <string>

namespace sunbae::io {

std::string read_text_file(const std::string& path);  // throws Error naming path

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
