// SPDX-License-Identifier: Apache-2.0
// Block-causal attention without a KV cache (training and prefill), as one autograd node. Query rows go in
// blocks of `block`; block [s, e) meets only keys [0, e), so about (n+1)/2n of the score matrix is computed
// for n blocks. Written as one node rather than libtorch ops per block because autograd's per-block slicing
// cost a zero-filled full-size gradient per slice plus the sums of them; here the key and value gradients
// of all blocks accumulate in place. The output comes with heads merged, as the
// output projection reads it, so no transpose copy follows.
#pragma once

#include <torch/types.h>

namespace fsllm::model {

// q: (B, H, T, Hd) (unscaled); k, v: (B, Hkv, T, Hd) with H a multiple of Hkv; bias: (B, 1, T, T) additive
// (0 allowed, -inf masked, causal). Returns softmax(q k^T / sqrt(Hd) + bias) v as (B, T, H * Hd).
torch::Tensor block_causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& bias, int64_t block);

}  // namespace fsllm::model
