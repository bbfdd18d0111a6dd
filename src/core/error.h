#pragma once
// Errors cross layer boundaries as exceptions carrying a message a user can act on:
// which file, which tensor, what was expected and what was found.
#include <sstream>
#include <stdexcept>
#include <string>

namespace sunbae {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class... Args>
std::string cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

template <class... Args>
[[noreturn]] void fail(Args&&... args) {
  throw Error(cat(std::forward<Args>(args)...));
}

#define SUNBAE_CHECK(cond, ...)                  \
  do {                                           \
    if (!(cond)) ::sunbae::fail(__VA_ARGS__);    \
  } while (0)

}  // namespace sunbae
