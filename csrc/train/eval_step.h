// SPDX-License-Identifier: Apache-2.0
// Forward passes without gradients: held-out loss, full logits, and the next-token logits of candidates.
#pragma once

#include <vector>

#include "amp/precision.h"
#include "train/batch.h"

namespace fsllm::train {

struct EvalMetrics {
  double loss_sum = 0.0;
  int64_t target_tokens = 0;
};

// Loss without gradients. Runs the model in eval mode (no dropout).
EvalMetrics eval_step(model::CausalLmImpl& model, const std::vector<MicroBatch>& batches, amp::Precision precision);

// Full logits (B, T, V) fp32, eval mode, no gradients.
torch::Tensor forward_logits(model::CausalLmImpl& model, const MicroBatch& batch, amp::Precision precision);

// Logits of `candidates` at each row's last real position, (B, C) fp32, eval mode, no gradients: what
// logit-scored tasks (MMLU) read, without the (B, T, V) logits of every position.
torch::Tensor next_token_logits(model::CausalLmImpl& model, const MicroBatch& batch, const std::vector<int64_t>& candidates,
                                amp::Precision precision);

}  // namespace fsllm::train
