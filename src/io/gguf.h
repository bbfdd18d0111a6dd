#pragma once
// GGUF (v2, v3): llama.cpp's single-file format. Mmapped, zero-copy, and every count, length and
// offset checked against the file size with overflow-safe arithmetic before anything is read or
// allocated (llama.cpp's own loader had heap overflows here: CVE-2025-53630, CVE-2026-27940).
//
// Layout, all little-endian: "GGUF", u32 version, u64 tensor_count, u64 kv_count; kv_count
// metadata entries (string key, u32 value type, value); tensor_count tensor infos (string name,
// u32 n_dims, u64 dims[n_dims] innermost first, u32 ggml type, u64 offset); padding to
// general.alignment (default 32); the data section, each tensor at an aligned offset in it.
// A string is a u64 byte length and that many bytes (no terminator).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "io/safetensors.h"

namespace sunbae::io {

enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9,
  U64 = 10, I64 = 11, F64 = 12,
};
const char* gguf_type_name(GgufType t);

// One metadata value. Scalars live in the field of their kind (every integer type in `i` or, for
// u64, `u`; f32/f64 in `f`); an array keeps its element type and the elements in the vector of
// their kind: integers and bools in `ints`, floats in `floats`, strings in `strings`, arrays of
// arrays in `items`.
struct GgufValue {
  GgufType type = GgufType::U8;
  GgufType elem = GgufType::U8;  // arrays only
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::vector<GgufValue> items;

  bool is_int() const;   // any integer type (bool excluded)
  size_t size() const;   // array element count
};

struct GgufTensor {
  std::string name;
  uint32_t ggml_type = 0;
  std::optional<DType> dtype;  // absent for ggml types Sunbae does not compute with
  std::vector<int64_t> shape;  // outermost first, like safetensors: ggml's ne[] reversed
  uint64_t offset = 0;         // inside the data section
  uint64_t nbytes = 0;
};

// ggml's name for a type id ("Q4_K", "IQ2_XS", ...), or "type <n>" for one it does not list.
std::string ggml_type_name(uint32_t type);

class GgufFile {
 public:
  // Throws Error naming the file (and the key or tensor at fault) for anything malformed:
  // bad magic, unsupported version, a count that could not fit in what is left of the file,
  // strings or arrays running past the end, unknown value or tensor types, duplicate keys or
  // tensors, dims that are not positive or whose product overflows, a row that is not a whole
  // number of blocks, a bad alignment, misaligned or overlapping tensors, data past the end.
  static std::shared_ptr<GgufFile> open(const std::string& path);
  // True when the file at path starts with the GGUF magic (false when unreadable).
  static bool sniff(const std::string& path);

  const std::string& path() const { return file_->path(); }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::map<std::string, GgufValue, std::less<>>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;  // nullptr when absent

  // Typed metadata access; throw Error naming the key when it is absent or of another kind.
  std::string get_string(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  double get_float(std::string_view key) const;  // integers accepted too
  bool get_bool(std::string_view key) const;

  const std::vector<GgufTensor>& tensors() const { return tensors_; }  // in file order
  const GgufTensor* tensor(std::string_view name) const;              // nullptr when absent
  // The tensor's bytes in place; its dtype must be one Sunbae computes with (Error otherwise).
  TensorView view(const GgufTensor& t) const;

 private:
  std::shared_ptr<MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  const uint8_t* data_ = nullptr;
  std::map<std::string, GgufValue, std::less<>> kv_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
};

}  // namespace sunbae::io
