#include "tokenizer/byte_level.h"

#include "tokenizer/unicode.h"

namespace sunbae::tok::byte_level {

namespace {
Table build() {
  Table t;
  t.cp_to_byte.fill(-1);
  auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = printable(b) ? uint32_t(b) : uint32_t(256 + n++);
    t.byte_to_cp[b] = cp;
    t.byte_to_utf8[b] = unicode::to_utf8(cp);
    t.cp_to_byte[cp] = int16_t(b);
  }
  return t;
}
}  // namespace

const Table& table() {
  static const Table t = build();
  return t;
}

void map_bytes(std::string_view raw, std::string& out) {
  const Table& t = table();
  for (char c : raw) out += t.byte_to_utf8[uint8_t(c)];
}

bool unmap(std::string_view token, std::string& out) {
  const Table& t = table();
  const size_t start = out.size();
  for (size_t i = 0; i < token.size();) {
    const uint32_t cp = unicode::next_cp(token, i);
    if (cp >= t.cp_to_byte.size() || t.cp_to_byte[cp] < 0) {
      out.resize(start);
      return false;
    }
    out.push_back(char(t.cp_to_byte[cp]));
  }
  return true;
}

}  // namespace sunbae::tok::byte_level
