// SPDX-License-Identifier: Apache-2.0
// Causal self-attention without a KV cache (training, evaluation, prefill) for small head dimensions, fused
// into one autograd node. With a head dimension of 8 (stories260K) ATen's path is mostly overhead: batched
// GEMMs whose inner dimension is 8, and (T, T) scores written, soft-maxed, saved and read back through memory.
// Here each query row meets its keys in a buffer that stays in L1: scores, exp and the weighted sum of values
// in one task, skipping the keys after the row and whole chunks of hidden keys before its first visible one
// (in a packed row, the other examples before its own); backward recomputes the probabilities from the row's
// saved log-sum-exp instead of storing them (FlashAttention's recomputation, Dao et al. 2022, §3.1, done a
// few rows at a time). It does not handle a KV cache (decode_attention does) or large head dimensions, where
// ATen's GEMMs do well.
#pragma once

#include <torch/types.h>

namespace fsllm::kernels {

// Head dimensions up to which the kernel is used. Forward + backward of 4 x 512 tokens, 8 query heads over 4
// KV heads, against model/causal_attention's blocks (one thread, 2026-12-03): Hd 8 39 ms vs 63, Hd 16 62 vs
// 81, Hd 32 114 vs 114 (and no (T, T) probabilities kept; shorter sequences take the full-matrix path, which
// the kernel beats at every Hd here). The trend (1.6x, 1.3x, 1.0x) leaves larger heads to the block path.
constexpr int64_t kSmallHeadDimMax = 32;

// Whether small_head_attention takes these inputs: q (B, H, T, Hd) with 1 <= Hd <= kSmallHeadDimMax, k and
// v (B, Hkv, T, Hd) with H a multiple of Hkv, bias (B, 1, T, T) not requiring grad; fp32 CPU tensors with
// unit stride on Hd (bias on its last axis), and a CPU with AVX2 and FMA.
bool small_head_attention_applies(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& bias);

// softmax(q k^T * scale + bias) v where query row t sees keys [0, t] only: the bias must be causal (every
// later key masked), as an attention bias without a cache is. Query head h reads KV head h / (H / Hkv). A bias
// <= -1e30 hides its key; a row that sees no key (padding) gets 0, as in FlashAttention, not the formula's
// average over hidden keys, and passes no gradient.
// Returns (B, T, H * Hd), the layout the output projection reads; differentiable in q, k and v.
torch::Tensor small_head_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   const torch::Tensor& bias, double scale);

}  // namespace fsllm::kernels
