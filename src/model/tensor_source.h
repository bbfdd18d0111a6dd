#pragma once
// Where a model's weights come from: a safetensors checkpoint on disk, or synthetic tensors
// built in memory at a real model's shapes (benchmarks).
#include <memory>
#include <string>
#include <string_view>

#include "core/tensor.h"
#include "io/safetensors.h"

namespace sunbae::model {

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  virtual bool has(std::string_view name) const = 0;
  virtual TensorView get(std::string_view name) const = 0;  // throws Error when absent
  virtual const std::string& source() const = 0;            // names the origin in errors
};

class CheckpointSource : public TensorSource {
 public:
  explicit CheckpointSource(io::Checkpoint ckpt) : ckpt_(std::move(ckpt)) {}
  bool has(std::string_view name) const override { return ckpt_.has(name); }
  TensorView get(std::string_view name) const override { return ckpt_.get(name); }
  const std::string& source() const override { return ckpt_.source(); }

 private:
  io::Checkpoint ckpt_;
};

}  // namespace sunbae::model
