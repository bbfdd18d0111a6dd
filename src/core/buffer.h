#pragma once
// An owning, page-aligned byte buffer for large allocations (weights, KV pools). Backed by an
// anonymous mapping with transparent huge pages requested: multi-GB buffers otherwise cost a TLB
// miss every 4 KB, which showed as 30% of decode time on 14 GB of weights.
#include <cstddef>
#include <cstdint>
#include <string>

namespace sunbae {

class Buffer {
 public:
  Buffer() = default;
  // Throws Error naming `what` when the memory cannot be had. Contents are zero.
  Buffer(size_t bytes, const std::string& what);
  ~Buffer();
  Buffer(Buffer&& o) noexcept;
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace sunbae
