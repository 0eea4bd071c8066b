// SPDX-License-Identifier: Apache-2.0
// A micro-batch as the native core sees it, the check that it fits the model, and its loss.
#pragma once

#include <vector>

#include "model/transformer.h"

namespace fsllm::train {

struct MicroBatch {
  torch::Tensor ids;     // (B, T) int64 token ids
  torch::Tensor labels;  // (B, T) int64, HF convention: labels[t] is the token at t, -100 = ignored
  torch::Tensor mask;    // (B, T) bool, true for real (non-padding) tokens
  torch::Tensor segments;  // (B, T) int64 or undefined: packed examples, id > 0 per example, 0 = padding
};

// Throws fsllm::Error(kInvalidArg) naming the field when ids/labels are out of the vocabulary, shapes
// disagree, or the sequence is longer than the model's positions.
void validate(const MicroBatch& batch, const model::ModelConfig& config, size_t index);

// Number of positions that contribute to the loss (after the causal shift); with `lead` (a prompt's virtual
// inputs, CausalLmImpl::leads_inputs), a row's first label counts too.
int64_t count_targets(const MicroBatch& batch, bool lead);

// Sum of the token losses of one micro-batch (differentiable): what training and evaluation steps add up.
torch::Tensor loss_sum(model::CausalLmImpl& model, const MicroBatch& batch);

}  // namespace fsllm::train
