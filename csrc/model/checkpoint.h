// SPDX-License-Identifier: Apache-2.0
// Activation checkpointing of one block: the forward pass runs without keeping the block's activations
// (only its input), and the output's backward runs the block again, with gradients on, then
// back-propagates through that recomputation. The random state (LoRA dropout masks) and the autocast state
// of the first run are restored for the second, so the gradients are those of the plain step.
#pragma once

#include <torch/types.h>

#include <functional>

namespace fsllm::model {

// `block` must be a pure function of its input and of state that does not change until backward (weights,
// the forward context it captured by value).
torch::Tensor checkpointed(std::function<torch::Tensor(const torch::Tensor&)> block, const torch::Tensor& x);

}  // namespace fsllm::model
