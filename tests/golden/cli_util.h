#pragma once
// Running the `sunbae` binary from tests: command lines with quoted paths, captured output and
// exit status, and throw-away directories.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace sunbae::test {

namespace fs = std::filesystem;

struct Result {
  int code = -1;  // exit status; 128 + signal when killed
  std::string out;
};

// Paths go into a shell command line: single-quoted so spaces or $ in a checkout path survive.
inline std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
inline std::string q(const fs::path& p) { return q(p.string()); }

inline Result run(const std::string& args) {
  Result r;
  FILE* p = popen((q(std::string(SUNBAE_BINARY)) + " " + args + " 2>&1").c_str(), "r");
  if (!p) {
    r.out = "popen failed";
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

inline std::string join(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  return s;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("sunbae-cli-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path operator/(const std::string& s) const { return path_ / s; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};


}  // namespace sunbae::test
