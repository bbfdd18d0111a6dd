#pragma once
// GPT-2's reversible byte <-> printable character table (bytes_to_unicode), shared by the
// ByteLevel pre-tokenizer, the BPE byte-level mode and the ByteLevel decoder.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sunbae::tok::byte_level {

struct Table {
  std::array<uint32_t, 256> byte_to_cp{};
  std::array<std::string, 256> byte_to_utf8;
  std::array<int16_t, 324> cp_to_byte{};  // -1 outside the 256 mapped characters (all < 324)
};

const Table& table();

// The mapped string of raw bytes (every byte becomes one character).
void map_bytes(std::string_view raw, std::string& out);
// Inverse mapping of a whole token; false when some character is outside the table.
bool unmap(std::string_view token, std::string& out);

}  // namespace sunbae::tok::byte_level
