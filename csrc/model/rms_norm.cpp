// SPDX-License-Identifier: Apache-2.0
// RMSNorm as one autograd node: matches transformers' LlamaRMSNorm (variance in fp32) but saves only x and
// 1/rms per row; the row kernels are kernels/rms_norm_rows (dx derivation: d r / d x = -r^3 x / D).
//   dw = sum over rows of g * x * r             (only when the weight is trainable: setLayersTrainable)
#include "model/rms_norm.h"

#include "kernels/rms_norm_rows.h"

namespace fsllm::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight, double eps) {
    auto [y, r] = kernels::rms_norm_forward(x, weight, eps);
    ctx->save_for_backward({x, weight, r});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto& r = saved[2];
    const auto& g = grad_outputs[0];
    torch::Tensor dx, dw;
    if (ctx->needs_input_grad(0)) dx = kernels::rms_norm_input_grad(g, x, weight, r);
    if (ctx->needs_input_grad(1)) {
      // dw = sum over rows of g * x r, accumulated in fp32 whatever the activation dtype.
      auto xr = x.to(torch::kFloat32) * r.unsqueeze(-1);
      dw = (g.to(torch::kFloat32) * xr).reshape({-1, weight.size(0)}).sum(/*dim=*/0).to(weight.scalar_type());
    }
    return {dx, dw, torch::Tensor()};
  }
};

}  // namespace

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight_ = register_parameter("weight", torch::ones({dim}), /*requires_grad=*/false);
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  if (!x.requires_grad() && !weight_.requires_grad()) return kernels::rms_norm_forward(x, weight_, eps_).first;
  return RmsNormFunction::apply(x, weight_, eps_);
}

}  // namespace fsllm::model
