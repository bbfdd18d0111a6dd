#include <charconv>

#include "commands.h"
#include "core/error.h"

namespace sunbae::app {

std::vector<int32_t> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  SUNBAE_CHECK(!text.empty(), "--ids is empty");
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view item(text.data() + pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    int64_t v = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    SUNBAE_CHECK(!item.empty() && ec == std::errc() && p == item.data() + item.size() &&
                     v >= INT32_MIN && v <= INT32_MAX,
                 "--ids: '", std::string(item), "' is not a token id");
    ids.push_back(int32_t(v));
    pos = end + 1;
  }
  return ids;
}

}  // namespace sunbae::app
