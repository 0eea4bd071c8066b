// SPDX-License-Identifier: Apache-2.0
// Inverted dropout whose mask is a pure function of (seed, element index): nothing is stored for the
// backward pass, which regenerates the same mask. Element i is kept when hash(seed, i) >= p * 2^32.
#pragma once

#include <torch/types.h>

namespace fsllm::kernels {

// x * keep / (1 - p) for a CPU floating tensor (any shape; read as contiguous). 0 <= p < 1.
torch::Tensor seeded_dropout(const torch::Tensor& x, double p, uint64_t seed);

// Autograd-aware: y = seeded_dropout(x, p, seed) with dx = seeded_dropout(dy, p, seed). The seed is drawn
// from libtorch's default CPU generator, so torch::manual_seed makes runs repeatable.
torch::Tensor dropout_train(const torch::Tensor& x, double p);

}  // namespace fsllm::kernels
