// SPDX-License-Identifier: Apache-2.0
// Pre-norm transformer blocks: h = x + attn(norm1(x)); out = h + mlp(norm2(h)).
// Submodule names follow the Hugging Face checkpoints of each family.
#pragma once

#include "model/attention.h"
#include "model/mlp.h"
#include "model/rms_norm.h"

namespace fsllm::model {

class LlamaBlockImpl : public torch::nn::Module {
 public:
  explicit LlamaBlockImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer);  // (B, T, D)

 private:
  RmsNorm input_layernorm_{nullptr}, post_attention_layernorm_{nullptr};
  LlamaAttention self_attn_{nullptr};
  SwiGluMlp mlp_{nullptr};
};
TORCH_MODULE(LlamaBlock);

class Gpt2BlockImpl : public torch::nn::Module {
 public:
  explicit Gpt2BlockImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer);  // (B, T, D)

 private:
  torch::nn::LayerNorm ln_1_{nullptr}, ln_2_{nullptr};
  Gpt2Attention attn_{nullptr};
  Gpt2Mlp mlp_{nullptr};
};
TORCH_MODULE(Gpt2Block);

// A LayerNorm over the last dim with frozen `weight` and `bias` (GPT-2's ln_*).
torch::nn::LayerNorm make_layer_norm(int64_t dim, double eps);

}  // namespace fsllm::model
