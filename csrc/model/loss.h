// SPDX-License-Identifier: Apache-2.0
// The losses taken at the LM head: causal-LM cross-entropy on labels, and the token KL to a teacher. Logits
// are computed in row chunks and never materialised as (N, V), and gradients are produced in the same pass
// (no recomputation). Not here: which tokens count, or how the steps average the sums.
#pragma once

namespace fsllm::model {

// Sum over target tokens of -log softmax(hidden W^T)[target], differentiable w.r.t. hidden and weight.
// hidden: (B, T, D); weight: (V, D), the LM head; labels: (B, T) with the HF shift (position t predicts
// labels[t+1]) and -100 for no target.
torch::Tensor causal_lm_loss_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                 const torch::Tensor& labels);

// Sum over rows of KL(softmax(teacher_hidden teacher_weight^T) || softmax(hidden weight^T)), differentiable
// w.r.t. the student's hidden and weight; the teacher's tensors are constants. hidden, teacher_hidden:
// (N, D), rows paired by index; weight, teacher_weight: (V, D).
torch::Tensor token_kl_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                           const torch::Tensor& teacher_hidden, const torch::Tensor& teacher_weight);

}  // namespace fsllm::model
