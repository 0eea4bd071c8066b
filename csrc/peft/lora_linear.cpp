// SPDX-License-Identifier: Apache-2.0
// LoraLinear: frozen base projection plus a trainable low-rank branch; see lora_linear.h.
#include "peft/lora_linear.h"

#include "core/error.h"

namespace fsllm::peft {

LoraLinearImpl::LoraLinearImpl(int64_t in_features, int64_t out_features, bool bias)
    : in_features_(in_features), out_features_(out_features) {
  // Real values arrive from the checkpoint; zeros keep an unloaded model deterministic.
  weight_ = register_parameter("weight", torch::zeros({out_features, in_features}), /*requires_grad=*/false);
  if (bias) bias_ = register_parameter("bias", torch::zeros({out_features}), /*requires_grad=*/false);
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  auto y = torch::nn::functional::linear(x, weight_, bias_);  // (..., out)
  if (!has_lora() || merged_) return y;
  auto h = x;
  if (dropout_ > 0.0 && is_training()) {
    // Inverted dropout from a uniform draw: libtorch's CPU bernoulli_ is a slow serial loop (it cost ~4%
    // of a SmolLM2 LoRA step), and `where` keeps a 1-byte mask for backward instead of a float one.
    auto keep = torch::rand_like(x) >= dropout_;
    h = torch::where(keep, x * (1.0 / (1.0 - dropout_)), torch::zeros({}, x.options()));
  }
  // (..., in) -> (..., R) -> (..., out)
  return y + torch::nn::functional::linear(torch::nn::functional::linear(h, lora_a_), lora_b_) * scaling_;
}

void LoraLinearImpl::attach_lora(const LoraConfig& config, torch::Generator& generator) {
  FSLLM_CHECK(!has_lora(), ErrorCode::kInvalidArg, "LoRA is already attached to this module");
  FSLLM_CHECK(config.r > 0, ErrorCode::kInvalidArg, "Expected a positive integer for lora.r");
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(weight_.device());
  lora_a_mod_ = register_module("lora_A", torch::nn::Linear(torch::nn::LinearOptions(in_features_, config.r).bias(false)));
  lora_b_mod_ = register_module("lora_B", torch::nn::Linear(torch::nn::LinearOptions(config.r, out_features_).bias(false)));
  lora_a_mod_->to(weight_.device());
  lora_b_mod_->to(weight_.device());
  lora_a_ = lora_a_mod_->weight;
  lora_b_ = lora_b_mod_->weight;
  {
    torch::NoGradGuard no_grad;
    // PEFT's default: kaiming_uniform_(A, a=sqrt(5)) i.e. U(-1/sqrt(in), 1/sqrt(in)); B = 0.
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features_));
    lora_a_.copy_(torch::empty({config.r, in_features_}, options).uniform_(-bound, bound, generator));
    lora_b_.zero_();
  }
  scaling_ = config.scaling();
  dropout_ = config.dropout;
}

void LoraLinearImpl::detach_lora() {
  if (!has_lora()) return;
  if (merged_) unmerge();
  lora_a_ = torch::Tensor();
  lora_b_ = torch::Tensor();
  lora_a_mod_ = nullptr;
  lora_b_mod_ = nullptr;
  unregister_module("lora_A");
  unregister_module("lora_B");
}

torch::Tensor LoraLinearImpl::delta_weight() const {
  return torch::matmul(lora_b_, lora_a_) * scaling_;  // (out, R) @ (R, in) -> (out, in)
}

void LoraLinearImpl::merge() {
  if (!has_lora() || merged_) return;
  torch::NoGradGuard no_grad;
  weight_.add_(delta_weight().to(weight_.scalar_type()));
  merged_ = true;
}

void LoraLinearImpl::unmerge() {
  if (!has_lora() || !merged_) return;
  torch::NoGradGuard no_grad;
  weight_.sub_(delta_weight().to(weight_.scalar_type()));
  merged_ = false;
}

}  // namespace fsllm::peft
