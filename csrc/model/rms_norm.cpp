// SPDX-License-Identifier: Apache-2.0
// RMSNorm as one autograd node: matches transformers' LlamaRMSNorm (variance in fp32, weight applied after
// the cast back) but saves only x and 1/rms, and computes the input gradient in a few fused passes:
//   y = w * x * r,  r = (mean(x^2) + eps)^(-1/2)
//   dx = r * (g w) - x * r^3 * mean(g w x)      (derivation: d r / d x = -r^3 x / D)
//   dw = sum over rows of g * x * r             (only when the weight is trainable: setLayersTrainable)
#include "model/rms_norm.h"

namespace fsllm::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight, double eps) {
    auto x32 = x.to(torch::kFloat32);
    auto r = torch::rsqrt(x32.square().mean(/*dim=*/-1, /*keepdim=*/true) + eps);  // (..., 1)
    ctx->save_for_backward({x, weight, r});
    return weight * (x32 * r).to(x.scalar_type());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto& r = saved[2];
    const auto& g = grad_outputs[0];
    auto x32 = x.to(torch::kFloat32);
    torch::Tensor dx, dw;
    if (ctx->needs_input_grad(0)) {
      auto gw = (g * weight).to(torch::kFloat32);                                     // (..., D)
      auto dot = (gw * x32).mean(/*dim=*/-1, /*keepdim=*/true);                       // (..., 1)
      dx = (gw * r - x32 * (r * r * r * dot)).to(x.scalar_type());
    }
    if (ctx->needs_input_grad(1)) {
      // dw = sum over rows of g * x r, accumulated in fp32 whatever the activation dtype.
      dw = (g.to(torch::kFloat32) * (x32 * r)).reshape({-1, weight.size(0)}).sum(/*dim=*/0).to(weight.scalar_type());
    }
    return {dx, dw, torch::Tensor()};
  }
};

}  // namespace

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight_ = register_parameter("weight", torch::ones({dim}), /*requires_grad=*/false);
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  if (!x.requires_grad() && !weight_.requires_grad()) {
    auto x32 = x.to(torch::kFloat32);
    auto r = torch::rsqrt(x32.square().mean(/*dim=*/-1, /*keepdim=*/true) + eps_);
    return weight_ * (x32 * r).to(x.scalar_type());
  }
  return RmsNormFunction::apply(x, weight_, eps_);
}

}  // namespace fsllm::model
