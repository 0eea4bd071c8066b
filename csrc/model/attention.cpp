// SPDX-License-Identifier: Apache-2.0
// Attention layers; the cache append happens here so prefill and decode share one code path.
#include "model/attention.h"

#include <cmath>

#include "kernels/decode_attention.h"
#include "kernels/rotary_heads.h"
#include "kernels/small_head_attention.h"
#include "model/causal_attention.h"

namespace fsllm::model {

namespace {

// softmax(q k^T + bias) v with q pre-scaled. q: (B, H, Tq, Hd); k, v: (B, Hkv, S, Hd); bias: (B, 1, Tq, S).
// Returns (B, H, Tq, Hd).
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& bias) {
  const auto B = q.size(0), H = q.size(1), T = q.size(2), Hd = q.size(3);
  const auto Hkv = k.size(1), G = H / Hkv, keys = k.size(2);
  // Grouped-query: the G query heads that share a key/value head are stacked along the row axis, so one
  // batched matmul per KV head serves them all; k and v are never expanded or copied.
  auto qg = q.reshape({B, Hkv, G * T, Hd});                                            // (B, Hkv, G*T, Hd)
  auto scores = torch::matmul(qg, k.transpose(-1, -2)).view({B, Hkv, G, T, keys});    // (B, Hkv, G, T, K)
  scores = scores + bias.unsqueeze(1);
  auto probs = torch::softmax(scores, /*dim=*/-1, torch::kFloat32).to(v.scalar_type());
  auto out = torch::matmul(probs.view({B, Hkv, G * T, keys}), v);                     // (B, Hkv, G*T, Hd)
  return out.view({B, H, T, Hd});
}

// Query rows per block when the causal structure lets later keys be skipped.
constexpr int64_t kCausalBlock = 64;

}  // namespace

torch::Tensor scaled_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& bias) {
  const auto B = q.size(0), H = q.size(1), T = q.size(2), S = k.size(2), Hd = q.size(3);
  const double scale = 1.0 / std::sqrt(static_cast<double>(Hd));
  if (kernels::decode_attention_applies(q, k, v, bias)) {
    return kernels::decode_attention(q, k, v, bias, static_cast<float>(scale));
  }
  // Without a cache the bias is causal (a query never sees a later key): rows skip later keys, all of them
  // one at a time for small heads, else in blocks of rows.
  if (S == T && kernels::small_head_attention_applies(q, k, v, bias)) {
    return kernels::small_head_attention(q, k, v, bias, scale);
  }
  if (S == T && T >= 2 * kCausalBlock) return block_causal_attention(q, k, v, bias, kCausalBlock);
  // Scaling q costs (T, Hd) per head instead of (T, S) on the scores.
  auto qs = q * scale;
  return attend(qs, k, v, bias).transpose(1, 2).reshape({B, T, H * Hd});
}

namespace {

// This call's keys/values after a prefix's (prefix tuning), appended to the layer cache when generating;
// returns every key/value the call's queries see.
std::pair<torch::Tensor, torch::Tensor> with_cache(ForwardContext& ctx, int64_t layer, torch::Tensor k, torch::Tensor v) {
  if (!ctx.prefix.empty()) {
    const auto& [pk, pv] = ctx.prefix[static_cast<size_t>(layer)];
    k = torch::cat({pk.to(k.scalar_type()), k}, /*dim=*/2);
    v = torch::cat({pv.to(v.scalar_type()), v}, /*dim=*/2);
  }
  if (ctx.cache == nullptr) return {k, v};
  return ctx.cache->append(static_cast<size_t>(layer), k, v);
}

}  // namespace

LlamaAttentionImpl::LlamaAttentionImpl(const ModelConfig& c)
    : heads_(c.num_heads), kv_heads_(c.num_kv_heads), head_dim_(c.head_dim) {
  q_proj_ = register_module("q_proj", peft::LoraLinear(c.hidden_size, heads_ * head_dim_, c.attention_bias));
  k_proj_ = register_module("k_proj", peft::LoraLinear(c.hidden_size, kv_heads_ * head_dim_, c.attention_bias));
  v_proj_ = register_module("v_proj", peft::LoraLinear(c.hidden_size, kv_heads_ * head_dim_, c.attention_bias));
  o_proj_ = register_module("o_proj", peft::LoraLinear(heads_ * head_dim_, c.hidden_size, false));
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer) {
  const auto B = x.size(0), T = x.size(1);
  // (B, T, H*Hd) -> (B, T, H, Hd) -> rotated (B, H, T, Hd)
  auto q = kernels::rotary_heads(q_proj_(x).view({B, T, heads_, head_dim_}), ctx.cos, ctx.sin);
  auto k = kernels::rotary_heads(k_proj_(x).view({B, T, kv_heads_, head_dim_}), ctx.cos, ctx.sin);
  auto v = v_proj_(x).view({B, T, kv_heads_, head_dim_}).transpose(1, 2);
  std::tie(k, v) = with_cache(ctx, layer, k, v);
  return o_proj_(scaled_attention(q, k, v, ctx.attn_bias));  // (B, T, H*Hd) -> (B, T, D)
}

Gpt2AttentionImpl::Gpt2AttentionImpl(const ModelConfig& c) : heads_(c.num_heads), head_dim_(c.head_dim) {
  c_attn_ = register_module("c_attn", peft::LoraLinear(c.hidden_size, 3 * c.hidden_size, true));
  c_proj_ = register_module("c_proj", peft::LoraLinear(c.hidden_size, c.hidden_size, true));
}

torch::Tensor Gpt2AttentionImpl::forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer) {
  const auto B = x.size(0), T = x.size(1);
  auto qkv = c_attn_(x).view({B, T, 3, heads_, head_dim_});  // (B, T, 3, H, Hd)
  auto q = qkv.select(2, 0).transpose(1, 2);                   // (B, H, T, Hd)
  auto k = qkv.select(2, 1).transpose(1, 2);
  auto v = qkv.select(2, 2).transpose(1, 2);
  std::tie(k, v) = with_cache(ctx, layer, k, v);
  return c_proj_(scaled_attention(q, k, v, ctx.attn_bias));
}

}  // namespace fsllm::model
