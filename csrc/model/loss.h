// SPDX-License-Identifier: Apache-2.0
// Causal-LM cross-entropy fused with the LM head: logits are computed in row chunks and never
// materialised as (N, V), and gradients are produced in the same pass (no recomputation).
#pragma once

namespace fsllm::model {

// Rows of `hidden` (B, T, D) that predict a real label: the HF shift (position t predicts labels[t+1]),
// dropping targets equal to -100. Returns {hidden rows (M, D), targets (M) int64}.
std::pair<torch::Tensor, torch::Tensor> select_targets(const torch::Tensor& hidden, const torch::Tensor& labels);

// Sum over rows of -log softmax(hidden W^T)[target]; differentiable w.r.t. hidden and weight.
// hidden: (M, D); weight: (V, D); targets: (M). `chunk_rows` bounds the live logits to (chunk_rows, V).
torch::Tensor lm_head_cross_entropy_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                        const torch::Tensor& targets, int64_t chunk_rows = 0);

// Rows per chunk so one chunk of fp32 logits stays near 64 MiB.
int64_t default_chunk_rows(int64_t vocab_size);

}  // namespace fsllm::model
