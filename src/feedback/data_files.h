#pragma once
// The files under data/ (prompt templates, question bank): compiled into the binary at build time
// (cmake/embed_data.cmake), or read from a directory given with --data-dir while editing them.
#include <string>
#include <string_view>
#include <vector>

namespace sunbae::feedback {

struct EmbeddedFile {
  std::string_view path;  // relative to data/, e.g. "questions/bank.jsonl"
  std::string_view bytes;
};
// Defined in the generated embedded_data.cpp.
const std::vector<EmbeddedFile>& embedded_files();

class DataFiles {
 public:
  // dir empty: the embedded copies; otherwise files are read from dir (a data/ folder).
  explicit DataFiles(std::string dir = {}) : dir_(std::move(dir)) {}
  // Throws Error naming the file when it is absent.
  std::string read(const std::string& rel_path) const;
  bool exists(const std::string& rel_path) const;
  // "embedded" or the directory, for messages.
  std::string where() const { return dir_.empty() ? "the embedded data" : dir_; }

 private:
  std::string dir_;
};

}  // namespace sunbae::feedback
