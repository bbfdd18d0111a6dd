#include "feedback/data_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace sunbae::feedback {

namespace fs = std::filesystem;

namespace {
const EmbeddedFile* find_embedded(const std::string& rel) {
  for (const auto& f : embedded_files())
    if (f.path == rel) return &f;
  return nullptr;
}
}  // namespace

bool DataFiles::exists(const std::string& rel) const {
  if (dir_.empty()) return find_embedded(rel) != nullptr;
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir_) / rel, ec);
}

std::string DataFiles::read(const std::string& rel) const {
  if (dir_.empty()) {
    const EmbeddedFile* f = find_embedded(rel);
    SUNBAE_CHECK(f, "data file ", rel, " is not embedded in this binary (was data/", rel, " present at build time?)");
    return std::string(f->bytes);
  }
  const fs::path p = fs::path(dir_) / rel;
  std::ifstream in(p, std::ios::binary);
  SUNBAE_CHECK(in, "cannot read data file ", p.string(), " (--data-dir ", dir_, ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sunbae::feedback
