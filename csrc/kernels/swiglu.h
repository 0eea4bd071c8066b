// SPDX-License-Identifier: Apache-2.0
// SwiGLU, silu(a) * b, as one autograd node with fused CPU kernels: the forward pass reads a and b once and
// keeps only them for backward; the backward pass makes both input gradients in one read of (g, a, b).
//   s = sigmoid(a),  d/da = g b s (1 + a (1 - s)),  d/db = g a s.
#pragma once

#include <torch/types.h>

namespace fsllm::kernels {

// silu(a) * b; a and b have the same shape and dtype.
torch::Tensor swiglu(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace fsllm::kernels
