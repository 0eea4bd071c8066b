// SPDX-License-Identifier: Apache-2.0
// A linear projection with a frozen base weight and an optional LoRA branch (Hu et al. 2021):
//   y = x W^T + b + scaling * dropout(x) A^T B^T,   A: (R, in), B: (out, R).
// Parameter names match Hugging Face and PEFT keys: `weight`, `bias`, `lora_A.weight`, `lora_B.weight`.
// It does not decide which modules get LoRA (peft/inject) or how the delta is exported (adapter_state).
#pragma once

#include "peft/lora_config.h"
#include "quant/frozen_weight.h"

namespace fsllm::peft {

class LoraLinearImpl : public torch::nn::Module {
 public:
  LoraLinearImpl(int64_t in_features, int64_t out_features, bool bias);

  torch::Tensor forward(const torch::Tensor& x);  // (..., in) -> (..., out)

  // Adds lora_A / lora_B (A ~ kaiming-uniform as PEFT, B = 0). Throws if LoRA is already attached.
  void attach_lora(const LoraConfig& config, torch::Generator& generator);
  void detach_lora();
  bool has_lora() const { return lora_a_.defined(); }

  // Stores the base weight as `frozen` (bf16, fp16 or ggml blocks) instead of the fp32 `weight`, which is
  // emptied: products then read it a tile at a time (quant::frozen_linear). The base can no longer be merged
  // into or trained.
  void freeze_base(quant::FrozenWeight frozen);
  bool base_frozen() const { return frozen_.data.defined(); }
  const quant::FrozenWeight& frozen_base() const { return frozen_; }
  // Values and bytes of the base weight, however it is stored.
  int64_t base_numel() const { return base_frozen() ? frozen_.out * frozen_.in : weight_.numel(); }
  int64_t base_bytes() const;

  // Folds scaling * B A into the base weight (and back). The LoRA branch is skipped while merged.
  // Throws kUnsupported for a frozen low-precision base (peft::merge_lora says which and what to do).
  void merge();
  void unmerge();
  bool merged() const { return merged_; }

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  double scaling() const { return scaling_; }
  torch::Tensor& weight() { return weight_; }
  // The LoRA factors (undefined without LoRA): A (R, in), B (out, R). The trainable parameters themselves.
  const torch::Tensor& lora_a() const { return lora_a_; }
  const torch::Tensor& lora_b() const { return lora_b_; }

 private:
  torch::Tensor delta_weight() const;  // (out, in) = scaling * B A

  int64_t in_features_;
  int64_t out_features_;
  torch::Tensor weight_;  // (out, in), frozen unless its block is made trainable (set_layers_trainable)
  torch::Tensor bias_;    // (out) or undefined, as weight_
  torch::nn::Linear lora_a_mod_{nullptr};
  torch::nn::Linear lora_b_mod_{nullptr};
  torch::Tensor lora_a_;  // (R, in), alias of lora_a_mod_->weight
  torch::Tensor lora_b_;  // (out, R)
  quant::FrozenWeight frozen_;  // data undefined unless freeze_base() was called; data is a registered buffer
  double scaling_ = 0.0;
  double dropout_ = 0.0;
  bool merged_ = false;
};
TORCH_MODULE(LoraLinear);

}  // namespace fsllm::peft
