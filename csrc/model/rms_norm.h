// SPDX-License-Identifier: Apache-2.0
// RMSNorm (Zhang & Sennrich 2019) as LLaMA uses it: normalise in fp32, scale by `weight`, cast back.
#pragma once

namespace fsllm::model {

class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);  // (..., D) -> (..., D)

 private:
  torch::Tensor weight_;  // (D)
  double eps_;
};
TORCH_MODULE(RmsNorm);

}  // namespace fsllm::model
