// SPDX-License-Identifier: Apache-2.0
// Rotary position embeddings (Su et al. 2021) in Hugging Face's rotate-half layout, with the config's
// theta and scaling (linear, dynamic NTK, llama3). Tables are built once per model and device; the
// rotation itself is kernels::rotary_heads.
#pragma once

#include "model/config.h"

namespace fsllm::model {

class Rope {
 public:
  Rope() = default;
  Rope(const ModelConfig& config, torch::Device device);

  // cos/sin for `positions` (B, T), each (B, 1, T, Hd), in dtype `dtype`.
  std::pair<torch::Tensor, torch::Tensor> tables(const torch::Tensor& positions, torch::ScalarType dtype) const;
  bool enabled() const { return inv_freq_.defined(); }

 private:
  torch::Tensor inv_freq_;  // (Hd/2), fp32
  RopeScaling scaling_;
  double theta_ = 10000.0;
  int64_t head_dim_ = 0;
  int64_t max_positions_ = 0;
};

}  // namespace fsllm::model
