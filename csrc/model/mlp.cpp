// SPDX-License-Identifier: Apache-2.0
// MLP blocks; see mlp.h.
#include "model/mlp.h"

#include "kernels/swiglu.h"

namespace fsllm::model {

SwiGluMlpImpl::SwiGluMlpImpl(const ModelConfig& c) {
  gate_proj_ = register_module("gate_proj", peft::LoraLinear(c.hidden_size, c.intermediate_size, false));
  up_proj_ = register_module("up_proj", peft::LoraLinear(c.hidden_size, c.intermediate_size, false));
  down_proj_ = register_module("down_proj", peft::LoraLinear(c.intermediate_size, c.hidden_size, false));
}

torch::Tensor SwiGluMlpImpl::forward(const torch::Tensor& x) {
  auto a = gate_proj_(x);  // (B, T, F)
  auto b = up_proj_(x);    // (B, T, F)
  return down_proj_(kernels::swiglu(a, b));    // (B, T, F) -> (B, T, D)
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
