// SPDX-License-Identifier: Apache-2.0
// LoraLinear: frozen base projection plus a trainable low-rank branch; see lora_linear.h.
#include "peft/lora_linear.h"

#include "core/error.h"
#include "kernels/dropout.h"
#include "kernels/linear.h"
#include "quant/frozen_linear.h"

namespace fsllm::peft {

LoraLinearImpl::LoraLinearImpl(int64_t in_features, int64_t out_features, bool bias)
    : in_features_(in_features), out_features_(out_features) {
  // Left unwritten: the checkpoint's values replace it (loading fails on a missing weight), and a base stored
  // below fp32 never needs it. Zero-filling touched every page: 27 GB for a LLaMA-2-7B before a q4 base let go.
  weight_ = register_parameter("weight", torch::empty({out_features, in_features}), /*requires_grad=*/false);
  if (bias) bias_ = register_parameter("bias", torch::zeros({out_features}), /*requires_grad=*/false);
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  auto x2d = x.reshape({-1, in_features_});
  auto y = base_frozen() ? quant::frozen_linear(x2d, frozen_, bias_) : kernels::linear(x2d, weight_, bias_);  // (N, out)
  if (has_lora() && !merged_) {
    auto h = x2d;
    if (dropout_ > 0.0 && is_training()) {
      // On CPU a counter-hashed mask: built in parallel and regenerated for backward instead of stored
      // (libtorch's CPU bernoulli_ is a serial loop that cost ~4% of a SmolLM2 LoRA step).
      h = x.device().is_cpu() ? kernels::dropout_train(x2d, dropout_) : torch::dropout(x2d, dropout_, /*train=*/true);
    }
    // The low-rank branch accumulates into the base output in place, one GEMM with beta = 1 and alpha =
    // scaling: no separate passes over (N, out) to scale and add. (N, in) -> (N, R) -> (N, out).
    // Under autocast the branch comes out in the autocast dtype while a stored base's product stays in x's
    // (quant::frozen_linear): the branch follows the base.
    auto down = kernels::linear(h, lora_a_).to(y.scalar_type());
    y.addmm_(down, lora_b_.to(y.scalar_type()).t(), /*beta=*/1.0, /*alpha=*/scaling_);
  }
  auto shape = x.sizes().vec();
  shape.back() = out_features_;
  return y.view(shape);
}

void LoraLinearImpl::freeze_base(quant::FrozenWeight frozen) {
  FSLLM_CHECK(frozen.out == out_features_ && frozen.in == in_features_, ErrorCode::kCheckpoint,
              "A frozen base of (" + std::to_string(frozen.out) + ", " + std::to_string(frozen.in) + ") does not fit a (" +
                  std::to_string(out_features_) + ", " + std::to_string(in_features_) + ") projection");
  FSLLM_CHECK(!merged_, ErrorCode::kInvalidArg, "Unmerge the adapter before storing the base below fp32");
  torch::NoGradGuard no_grad;
  frozen.data = register_buffer("weight_frozen", frozen.data.to(weight_.device()));
  frozen_ = std::move(frozen);
  weight_.set_data(torch::empty({0}, weight_.options()));  // the fp32 copy is gone
}

int64_t LoraLinearImpl::base_bytes() const {
  return base_frozen() ? frozen_.bytes() : weight_.numel() * static_cast<int64_t>(weight_.element_size());
}

void LoraLinearImpl::attach_lora(const LoraConfig& config, torch::Generator& generator) {
  FSLLM_CHECK(!has_lora(), ErrorCode::kInvalidArg, "LoRA is already attached to this module");
  FSLLM_CHECK(config.r > 0, ErrorCode::kInvalidArg, "Expected a positive integer for lora.r");
  lora_a_mod_ = register_module("lora_A", torch::nn::Linear(torch::nn::LinearOptions(in_features_, config.r).bias(false)));
  lora_b_mod_ = register_module("lora_B", torch::nn::Linear(torch::nn::LinearOptions(config.r, out_features_).bias(false)));
  lora_a_mod_->to(weight_.device());
  lora_b_mod_->to(weight_.device());
  lora_a_ = lora_a_mod_->weight;
  lora_b_ = lora_b_mod_->weight;
  {
    torch::NoGradGuard no_grad;
    // PEFT's default: kaiming_uniform_(A, a=sqrt(5)) i.e. U(-1/sqrt(in), 1/sqrt(in)); B = 0. Drawn on the
    // host from the seeded CPU generator, so a seed gives the same adapter on every device.
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features_));
    lora_a_.copy_(torch::empty({config.r, in_features_}, torch::kFloat32).uniform_(-bound, bound, generator));
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
  FSLLM_CHECK(!base_frozen(), ErrorCode::kUnsupported, "A base stored below fp32 cannot take a merged adapter");
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
