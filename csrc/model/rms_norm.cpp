// SPDX-License-Identifier: Apache-2.0
// RMSNorm; matches transformers' LlamaRMSNorm (variance in fp32, weight applied after the cast back).
#include "model/rms_norm.h"

namespace fsllm::model {

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight_ = register_parameter("weight", torch::ones({dim}), /*requires_grad=*/false);
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  auto x32 = x.to(torch::kFloat32);
  auto inv_rms = torch::rsqrt(x32.pow(2).mean(/*dim=*/-1, /*keepdim=*/true) + eps_);  // (..., 1)
  return weight_ * (x32 * inv_rms).to(x.scalar_type());
}

}  // namespace fsllm::model
