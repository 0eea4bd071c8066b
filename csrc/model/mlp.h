// SPDX-License-Identifier: Apache-2.0
// Feed-forward blocks: SwiGLU (LLaMA: down(silu(gate(x)) * up(x))) and GPT-2's GELU MLP.
#pragma once

#include "model/config.h"
#include "peft/lora_linear.h"

namespace fsllm::model {

class SwiGluMlpImpl : public torch::nn::Module {
 public:
  explicit SwiGluMlpImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x);  // (B, T, D) -> (B, T, D)

 private:
  peft::LoraLinear gate_proj_{nullptr}, up_proj_{nullptr}, down_proj_{nullptr};
};
TORCH_MODULE(SwiGluMlp);

class Gpt2MlpImpl : public torch::nn::Module {
 public:
  explicit Gpt2MlpImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x);  // (B, T, D) -> (B, T, D)

 private:
  peft::LoraLinear c_fc_{nullptr}, c_proj_{nullptr};
  Activation activation_;
};
TORCH_MODULE(Gpt2Mlp);

}  // namespace fsllm::model
