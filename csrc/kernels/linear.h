// SPDX-License-Identifier: Apache-2.0
// y = x W^T + b as torch's linear, with a kernel of our own for the shape of a decoding step: a few rows of
// fp32 input on the CPU, outside autograd. There OpenBLAS packs the whole weight on every call (for a batch
// of 16 rows, reading and copying each weight costs more than the multiply itself); the kernel instead takes
// dot products of input rows with weight rows in place, 4 x 3 at a time, each weight block read from memory
// once and kept in cache while every input row passes over it.
#pragma once

#include <torch/types.h>

namespace fsllm::kernels {

// Rows of input up to which the dot-product kernel is used (beyond, a packed GEMM wins).
constexpr int64_t kFewRowsMax = 32;

// torch::nn::functional::linear(x, weight, bias): x (..., in), weight (out, in), bias (out) or undefined.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias = {});

}  // namespace fsllm::kernels
