// SPDX-License-Identifier: Apache-2.0
// See causal_attention.h. Grouped-query heads: the G = H / Hkv query heads sharing a key/value head are
// stacked along the row axis, so each block is one batched GEMM over B * Hkv matrices and k, v are never
// expanded. Softmax gradient: dS = P * (dP - rowsum(dP * P)).
#include "model/causal_attention.h"

#include <cmath>

#include <torch/csrc/autograd/custom_function.h>

namespace fsllm::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Dims {
  int64_t B, H, Hkv, G, T, Hd;
  explicit Dims(const torch::Tensor& q, const torch::Tensor& k)
      : B(q.size(0)), H(q.size(1)), Hkv(k.size(1)), G(q.size(1) / k.size(1)), T(q.size(2)), Hd(q.size(3)) {}
};

// Rows [start, start + rows) of every query head, scaled, as (B * Hkv, G * rows, Hd).
torch::Tensor query_block(const torch::Tensor& q, const Dims& d, int64_t start, int64_t rows, double scale) {
  return (q.narrow(2, start, rows) * scale).reshape({d.B * d.Hkv, d.G * rows, d.Hd});
}

// The first `keys` positions of a (B, Hkv, T, Hd) tensor as (B * Hkv, keys, Hd), a view.
torch::Tensor key_prefix(const torch::Tensor& t, const Dims& d, int64_t keys) {
  return t.view({d.B * d.Hkv, d.T, d.Hd}).narrow(1, 0, keys);
}

class BlockCausalAttention : public torch::autograd::Function<BlockCausalAttention> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q_in, const torch::Tensor& k_in,
                               const torch::Tensor& v_in, const torch::Tensor& bias, int64_t block) {
    auto q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
    const Dims d(q, k);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d.Hd));
    auto out = torch::empty({d.B, d.T, d.H * d.Hd}, q.options());
    auto out5 = out.view({d.B, d.T, d.Hkv, d.G, d.Hd});
    std::vector<torch::Tensor> saved = {q, k, v};
    for (int64_t start = 0; start < d.T; start += block) {
      const int64_t rows = std::min(block, d.T - start), keys = start + rows;
      auto scores = torch::bmm(query_block(q, d, start, rows, scale), key_prefix(k, d, keys).transpose(1, 2));
      scores.view({d.B, d.Hkv, d.G, rows, keys}).add_(bias.narrow(2, start, rows).narrow(3, 0, keys).unsqueeze(1));
      auto probs = torch::softmax(scores, /*dim=*/-1, torch::kFloat32).to(v.scalar_type());  // (B*Hkv, G*rows, keys)
      auto mixed = torch::bmm(probs, key_prefix(v, d, keys));                                // (B*Hkv, G*rows, Hd)
      out5.narrow(1, start, rows).copy_(mixed.view({d.B, d.Hkv, d.G, rows, d.Hd}).permute({0, 3, 1, 2, 4}));
      saved.push_back(probs);
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["block"] = block;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto& q = saved[0];
    const auto& k = saved[1];
    const auto& v = saved[2];
    const int64_t block = ctx->saved_data["block"].toInt();
    const Dims d(q, k);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d.Hd));
    auto g5 = grad_outputs[0].contiguous().view({d.B, d.T, d.Hkv, d.G, d.Hd});
    auto dq = torch::empty_like(q);
    auto dk = torch::zeros_like(k), dv = torch::zeros_like(v);
    auto dq5 = dq.view({d.B, d.Hkv, d.G, d.T, d.Hd});
    size_t index = 3;
    for (int64_t start = 0; start < d.T; start += block, ++index) {
      const int64_t rows = std::min(block, d.T - start), keys = start + rows;
      const auto& probs = saved[index];
      auto k_prefix = key_prefix(k, d, keys);
      auto g_block = g5.narrow(1, start, rows).permute({0, 2, 3, 1, 4}).reshape({d.B * d.Hkv, d.G * rows, d.Hd});
      // Accumulating through baddbmm_ into the strided key prefix ran one dispatch per batch matrix: a
      // contiguous bmm plus one add is several times cheaper.
      key_prefix(dv, d, keys).add_(torch::bmm(probs.transpose(1, 2), g_block));             // dV += P^T dO
      auto dprobs = torch::bmm(g_block, key_prefix(v, d, keys).transpose(1, 2));          // dP = dO V^T
      auto dscores = torch::_softmax_backward_data(dprobs, probs, /*dim=*/-1, probs.scalar_type());
      key_prefix(dk, d, keys).add_(torch::bmm(dscores.transpose(1, 2), query_block(q, d, start, rows, scale)));  // dK += dS^T Qs
      auto dq_block = torch::bmm(dscores, k_prefix).mul_(scale);                          // dQ = dS K / sqrt(Hd)
      dq5.narrow(3, start, rows).copy_(dq_block.view({d.B, d.Hkv, d.G, rows, d.Hd}));
    }
    return {dq, dk, dv, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor block_causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& bias, int64_t block) {
  return BlockCausalAttention::apply(q, k, v, bias, block);
}

}  // namespace fsllm::model
