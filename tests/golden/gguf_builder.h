#pragma once
// Writes GGUF files for tests: metadata of the common types and tensors, laid out as llama.cpp
// writes them (v3, 32-byte alignment).
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace sunbae::test {

// GGUF bytes for a model: string/int/float metadata and tensors (F32 or quantized rows).
class GgufBuilder {
 public:
  void kv_str(const std::string& k, const std::string& v) { kv(k, 8).str(v); }
  void kv_u32(const std::string& k, uint32_t v) { kv(k, 4).pod(v); }
  void kv_f32(const std::string& k, float v) { kv(k, 6).pod(v); }
  void kv_bool(const std::string& k, bool v) { kv(k, 7).pod(uint8_t(v)); }
  void kv_strs(const std::string& k, const std::vector<std::string>& v) {
    kv(k, 9).pod(uint32_t(8)).pod(uint64_t(v.size()));
    for (const auto& s : v) str(s);
  }
  void kv_f32s(const std::string& k, const std::vector<float>& v) {
    kv(k, 9).pod(uint32_t(6)).pod(uint64_t(v.size()));
    for (float x : v) pod(x);
  }
  void kv_i32s(const std::string& k, const std::vector<int32_t>& v) {
    kv(k, 9).pod(uint32_t(5)).pod(uint64_t(v.size()));
    for (int32_t x : v) pod(x);
  }
  // shape outermost first; ggml type id; bytes as stored
  void tensor(const std::string& name, std::vector<int64_t> shape, uint32_t type, std::string bytes) {
    tensors_.push_back({name, std::move(shape), type, std::move(bytes)});
  }
  void write(const std::string& path) {
    std::string out = "GGUF";
    auto put = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
    const uint32_t version = 3;
    const uint64_t nt = tensors_.size();
    put(&version, 4);
    put(&nt, 8);
    put(&n_kv_, 8);
    out += kv_;
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
      const uint64_t len = t.name.size();
      put(&len, 8);
      out += t.name;
      const uint32_t nd = uint32_t(t.shape.size());
      put(&nd, 4);
      for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) put(&*it, 8);
      put(&t.type, 4);
      put(&offset, 8);
      offset += (t.bytes.size() + 31) / 32 * 32;
    }
    for (const auto& t : tensors_) {
      out.resize((out.size() + 31) / 32 * 32, '\0');
      out += t.bytes;
    }
    std::ofstream(path, std::ios::binary).write(out.data(), std::streamsize(out.size()));
  }

 private:
  struct T {
    std::string name;
    std::vector<int64_t> shape;
    uint32_t type;
    std::string bytes;
  };
  GgufBuilder& kv(const std::string& k, uint32_t type) {
    ++n_kv_;
    str(k);
    return pod(type);
  }
  template <class V>
  GgufBuilder& pod(V v) {
    kv_.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  GgufBuilder& str(const std::string& s) {
    pod(uint64_t(s.size()));
    kv_ += s;
    return *this;
  }
  std::string kv_;
  uint64_t n_kv_ = 0;
  std::vector<T> tensors_;
};

}  // namespace sunbae::test
