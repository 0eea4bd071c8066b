// SPDX-License-Identifier: Apache-2.0
// y = x W^T + b against a frozen weight stored below fp32, as one autograd node. Forward and backward walk
// the weight a tile of rows at a time: decode the tile to fp32, multiply, drop it. Only x's gradient is
// made (the base is frozen), dx = dy W, accumulated tile by tile; nothing of the weight is saved for backward
// but the stored form itself.
#pragma once

#include "quant/frozen_weight.h"

namespace fsllm::quant {

// x (..., in) of any float dtype (computed in fp32, returned in x's dtype); bias (out) or undefined.
torch::Tensor frozen_linear(const torch::Tensor& x, const FrozenWeight& weight, const torch::Tensor& bias);

}  // namespace fsllm::quant
