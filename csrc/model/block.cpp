// SPDX-License-Identifier: Apache-2.0
// Transformer blocks; see block.h.
#include "model/block.h"

namespace fsllm::model {

LlamaBlockImpl::LlamaBlockImpl(const ModelConfig& c) {
  self_attn_ = register_module("self_attn", LlamaAttention(c));
  mlp_ = register_module("mlp", SwiGluMlp(c));
  input_layernorm_ = register_module("input_layernorm", RmsNorm(c.hidden_size, c.norm_eps));
  post_attention_layernorm_ = register_module("post_attention_layernorm", RmsNorm(c.hidden_size, c.norm_eps));
}

torch::Tensor LlamaBlockImpl::forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer) {
  auto h = x + self_attn_(input_layernorm_(x), ctx, layer);  // (B, T, D)
  return h + mlp_(post_attention_layernorm_(h));             // (B, T, D)
}

torch::nn::LayerNorm make_layer_norm(int64_t dim, double eps) {
  torch::nn::LayerNorm norm(torch::nn::LayerNormOptions({dim}).eps(eps));
  for (auto& p : norm->parameters()) p.set_requires_grad(false);
  return norm;
}

Gpt2BlockImpl::Gpt2BlockImpl(const ModelConfig& c) {
  ln_1_ = register_module("ln_1", make_layer_norm(c.hidden_size, c.norm_eps));
  attn_ = register_module("attn", Gpt2Attention(c));
  ln_2_ = register_module("ln_2", make_layer_norm(c.hidden_size, c.norm_eps));
  mlp_ = register_module("mlp", Gpt2Mlp(c));
}

torch::Tensor Gpt2BlockImpl::forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer) {
  auto h = x + attn_(ln_1_(x), ctx, layer);  // (B, T, D)
  return h + mlp_(ln_2_(h));                 // (B, T, D)
}

}  // namespace fsllm::model
