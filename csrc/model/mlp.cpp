// SPDX-License-Identifier: Apache-2.0
// MLP blocks; see mlp.h.
#include "model/mlp.h"

namespace fsllm::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// silu(a) * b as one autograd node that keeps only a and b (not silu(a)): one (N, F) tensor less per
// layer. d/da silu(a) = s (1 + a (1 - s)) with s = sigmoid(a).
class SwiGluFunction : public torch::autograd::Function<SwiGluFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& a, const torch::Tensor& b) {
    ctx->save_for_backward({a, b});
    return torch::silu(a) * b;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto& a = saved[0];
    const auto& b = saved[1];
    const auto& g = grad_outputs[0];
    auto s = torch::sigmoid(a);
    torch::Tensor da, db;
    if (a.requires_grad()) da = g * b * s * (1 + a * (1 - s));
    if (b.requires_grad()) db = g * a * s;
    return {da, db};
  }
};

}  // namespace

SwiGluMlpImpl::SwiGluMlpImpl(const ModelConfig& c) {
  gate_proj_ = register_module("gate_proj", peft::LoraLinear(c.hidden_size, c.intermediate_size, false));
  up_proj_ = register_module("up_proj", peft::LoraLinear(c.hidden_size, c.intermediate_size, false));
  down_proj_ = register_module("down_proj", peft::LoraLinear(c.intermediate_size, c.hidden_size, false));
}

torch::Tensor SwiGluMlpImpl::forward(const torch::Tensor& x) {
  auto a = gate_proj_(x);  // (B, T, F)
  auto b = up_proj_(x);    // (B, T, F)
  auto h = (a.requires_grad() || b.requires_grad()) ? SwiGluFunction::apply(a, b) : torch::silu(a) * b;
  return down_proj_(h);    // (B, T, F) -> (B, T, D)
}

Gpt2MlpImpl::Gpt2MlpImpl(const ModelConfig& c) : activation_(c.activation) {
  c_fc_ = register_module("c_fc", peft::LoraLinear(c.hidden_size, c.intermediate_size, true));
  c_proj_ = register_module("c_proj", peft::LoraLinear(c.intermediate_size, c.hidden_size, true));
}

torch::Tensor Gpt2MlpImpl::forward(const torch::Tensor& x) {
  auto h = c_fc_(x);  // (B, T, F)
  h = activation_ == Activation::kGelu ? torch::gelu(h) : torch::gelu(h, /*approximate=*/"tanh");
  return c_proj_(h);
}

}  // namespace fsllm::model
