// SPDX-License-Identifier: Apache-2.0
// Causal self-attention: LLaMA-style (separate q/k/v/o, grouped-query, RoPE, optional q/k/v bias as in
// Qwen2) and GPT-2-style (fused c_attn, learned positions handled by the embedding).
#pragma once

#include "model/config.h"
#include "model/kv_cache.h"
#include "model/rotary.h"
#include "peft/lora_linear.h"

namespace fsllm::model {

// softmax(q k^T / sqrt(Hd) + bias) v with grouped-query broadcasting.
// q: (B, H, T, Hd); k, v: (B, Hkv, S, Hd); bias: (B, 1, T, S). Returns heads merged: (B, T, H * Hd).
torch::Tensor scaled_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& bias);

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  explicit LlamaAttentionImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer);  // (B, T, D) -> (B, T, D)

 private:
  int64_t heads_, kv_heads_, head_dim_;
  peft::LoraLinear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, o_proj_{nullptr};
};
TORCH_MODULE(LlamaAttention);

class Gpt2AttentionImpl : public torch::nn::Module {
 public:
  explicit Gpt2AttentionImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer);  // (B, T, D) -> (B, T, D)

 private:
  int64_t heads_, head_dim_;
  peft::LoraLinear c_attn_{nullptr}, c_proj_{nullptr};
};
TORCH_MODULE(Gpt2Attention);

}  // namespace fsllm::model
