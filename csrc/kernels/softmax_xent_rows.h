// SPDX-License-Identifier: Apache-2.0
// Cross-entropy over rows of logits in one parallel pass per row, each row staying in cache: row max, the sum
// of exponentials, the loss max + log(sum) - logit[target], and (optionally) the logits overwritten in place
// with their gradient softmax - onehot(target).
#pragma once

#include <torch/types.h>

namespace fsllm::kernels {

// logits: (C, V) float32 contiguous; targets: (C) ids in [0, V). Returns the summed loss. Non-CPU tensors
// take libtorch ops.
double softmax_xent_rows(torch::Tensor& logits, const torch::Tensor& targets, bool write_grad);

}  // namespace fsllm::kernels
