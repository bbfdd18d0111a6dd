#pragma once
// safetensors: mmapped, zero-copy, every length and offset validated before use.
// Format: u64 little-endian header length N, N bytes of JSON header, then the data section.
// Header: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//          "__metadata__": {"k": "v"}} with offsets relative to the data section.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace sunbae::io {

// Read-only memory map of a whole file; unmapped on destruction.
class MappedFile {
 public:
  static std::shared_ptr<MappedFile> open(const std::string& path);  // throws Error naming path
  ~MappedFile();
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets inside the data section
};

class SafetensorsFile {
 public:
  // Throws Error naming the file (and tensor, where one is at fault) for anything malformed:
  // short file, header length past the end, bad JSON, unknown dtype, negative/overflowing shape,
  // dtype size x numel != end - begin, offsets outside the data section, overlapping tensors.
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // by data offset
  const TensorInfo* find(std::string_view name) const;  // nullptr when absent
  TensorView view(const TensorInfo& t) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::shared_ptr<MappedFile> file_;
  const uint8_t* data_section_ = nullptr;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// A model directory's weights: model.safetensors, or the shards listed by
// model.safetensors.index.json ({"weight_map": {"tensor": "shard file"}}). Every shard named in
// the index must exist and hold the tensors the index says it holds.
class Checkpoint {
 public:
  static Checkpoint open_dir(const std::string& dir);
  static Checkpoint open_file(const std::string& path);

  bool has(std::string_view name) const;
  // Throws Error "<dir>: tensor '<name>' not found" when absent.
  TensorView get(std::string_view name) const;
  const TensorInfo& info(std::string_view name) const;
  std::vector<std::string> names() const;  // sorted
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, size_t, std::less<>> where_;  // tensor name -> index into files_
};

// Writes a safetensors file atomically: to "<path>.tmp" then rename, so a failure never leaves a
// half-written file at path. Tensors are written in the given order, 8-byte aligned header.
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, TensorView>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace sunbae::io
