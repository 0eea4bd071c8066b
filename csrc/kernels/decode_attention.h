// SPDX-License-Identifier: Apache-2.0
// Attention of a decoding step against the KV cache: a few query rows per sequence, fp32 on the CPU, outside
// autograd. Through libtorch this is a batched matmul that ATen splits into one BLAS call per (row, KV head),
// a 3 x 64 x S product each: thousands of calls per token, whose setup cost more than their arithmetic. Here
// one task per (row, KV head) reads that head's keys and values once for all its grouped query heads, and
// masked positions (-inf bias: left padding, finished rows' slots) are skipped rather than computed.
#pragma once

#include <torch/types.h>

namespace fsllm::kernels {

// Query positions per sequence up to which the kernel is used (a decoding step has one).
constexpr int64_t kDecodeQueriesMax = 4;

// Whether decode_attention takes these inputs: q (B, H, T, Hd) with T <= kDecodeQueriesMax, k and v (B, Hkv, S, Hd),
// bias (B, 1, T, S); fp32 CPU tensors with unit stride on Hd, Hd a multiple of 8, no gradient needed, and a
// CPU with AVX2 and FMA.
bool decode_attention_applies(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& bias);

// softmax(q k^T * scale + bias) v for grouped-query heads (query head h reads KV head h / (H / Hkv)).
// Returns (B, T, H * Hd), the layout the output projection reads.
torch::Tensor decode_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& bias, float scale);

}  // namespace fsllm::kernels
