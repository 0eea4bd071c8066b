// SPDX-License-Identifier: Apache-2.0
// RMSNorm over the last dimension in one pass per row (forward) and one per row (backward), keeping only
// 1/rms per row between them. Float32 accumulation for every dtype; non-CPU tensors use libtorch ops.
//   y = w * (x * r),  r = (mean(x^2) + eps)^(-1/2)
//   dx = r * (g w) - x * r^3 * mean(g w x)
#pragma once

#include <torch/types.h>

namespace fsllm::kernels {

// x: (..., D), weight: (D). Returns {y like x, r: (...) float32}.
std::pair<torch::Tensor, torch::Tensor> rms_norm_forward(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// The input gradient for upstream gradient g (like x), given forward's x, weight and r.
torch::Tensor rms_norm_input_grad(const torch::Tensor& g, const torch::Tensor& x, const torch::Tensor& weight,
                                  const torch::Tensor& r);

}  // namespace fsllm::kernels
