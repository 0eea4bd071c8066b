// SPDX-License-Identifier: Apache-2.0
// Rotary embedding fused with the head transpose, as one autograd node: a projection's output viewed as
// (B, T, H, Hd) goes in, the rotated (B, H, T, Hd) tensor comes out contiguous, in one pass (the libtorch
// version took a chunk, a negation, a concatenation, two products, a sum and a copy for the transpose).
// Rotate-half layout, as Hugging Face's LLaMA: with c, s the first half of the (duplicated) tables,
//   y1 = x1 c - x2 s,  y2 = x2 c + x1 s;   backward: dx1 = g1 c + g2 s,  dx2 = g2 c - g1 s.
#pragma once

#include <torch/types.h>

namespace fsllm::kernels {

// x: (B, T, H, Hd); cos, sin: (B, 1, T, Hd) from model::Rope::tables. Returns (B, H, T, Hd).
torch::Tensor rotary_heads(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace fsllm::kernels
