// SPDX-License-Identifier: Apache-2.0
// Both LM-head losses are one custom autograd function, ChunkedLmHead, that differs only in what it does
// with a chunk of logits. Because the loss is the last op of the graph, the forward pass also computes
// d(loss)/d(hidden) and d(loss)/d(weight) chunk by chunk and the backward pass only scales them by the
// incoming gradient: peak memory is one (chunk, V) block.
#include "model/loss.h"

#include <functional>

#include "kernels/softmax_xent_rows.h"

namespace fsllm::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// One loss on one chunk: `logits` (C, V) fp32 are those of rows [start, start + C). Returns the chunk's loss
// summed over its rows and, when `want_grad`, leaves d(loss)/d(logits) (C, V) fp32 in `logits` (in place or
// as a new tensor).
using ChunkLoss = std::function<double(torch::Tensor& logits, int64_t start, bool want_grad)>;

// Sum over chunks of `chunk_loss` on the logits hidden W^T; hidden: (M, D), weight: (V, D), chunk_rows > 0.
class ChunkedLmHead : public torch::autograd::Function<ChunkedLmHead> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& hidden, const torch::Tensor& weight,
                               int64_t chunk_rows, const ChunkLoss& chunk_loss) {
    const bool need_h = hidden.requires_grad();
    const bool need_w = weight.requires_grad();
    const auto M = hidden.size(0);
    torch::Tensor grad_h = need_h ? torch::empty_like(hidden) : torch::Tensor();
    torch::Tensor grad_w = need_w ? torch::zeros(weight.sizes(), weight.options().dtype(torch::kFloat32)) : torch::Tensor();
    double loss = 0.0;
    for (int64_t start = 0; start < M; start += chunk_rows) {
      const auto rows = std::min(chunk_rows, M - start);
      auto h = hidden.narrow(0, start, rows);                                      // (C, D)
      auto logits = torch::mm(h, weight.t()).to(torch::kFloat32).contiguous();     // (C, V)
      loss += chunk_loss(logits, start, need_h || need_w);
      if (!need_h && !need_w) continue;
      auto d = logits.to(weight.scalar_type());                                    // d(loss)/d(logits)
      if (need_h) {
        auto dst = grad_h.narrow(0, start, rows);
        if (dst.scalar_type() == d.scalar_type()) {
          torch::mm_out(dst, d, weight);                                           // (C, V) @ (V, D), written in place
        } else {
          dst.copy_(torch::mm(d, weight));
        }
      }
      if (need_w) grad_w.add_(torch::mm(d.t(), h).to(torch::kFloat32));            // (V, C) @ (C, D)
    }
    auto total = torch::full({}, loss, hidden.options().dtype(torch::kFloat32));
    ctx->save_for_backward({grad_h, grad_w});
    return total;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    auto g = grad_outputs[0];
    torch::Tensor grad_h = saved[0].defined() ? saved[0] * g.to(saved[0].scalar_type()) : torch::Tensor();
    torch::Tensor grad_w = saved[1].defined() ? saved[1] * g : torch::Tensor();
    return {grad_h, grad_w, torch::Tensor(), torch::Tensor()};
  }
};

// Rows per chunk so one chunk of fp32 logits stays near 64 MiB: the LM-head GEMMs ran ~20% faster at 341
// rows than at 170 (SmolLM2). Chunks are then made equal: 1020 rows in chunks of at most 341 become
// 3 x 340, not 341 + 341 + 338.
int64_t chunk_rows_for(int64_t rows, int64_t vocab_size) {
  const int64_t most = std::max<int64_t>(16, (int64_t{16} << 20) / std::max<int64_t>(1, vocab_size));
  const int64_t chunks = std::max<int64_t>(1, (rows + most - 1) / most);
  return std::max<int64_t>(1, (rows + chunks - 1) / chunks);
}

torch::Tensor chunked_lm_head(const torch::Tensor& hidden, const torch::Tensor& weight, const ChunkLoss& chunk_loss) {
  return ChunkedLmHead::apply(hidden, weight, chunk_rows_for(hidden.size(0), weight.size(0)), chunk_loss);
}

}  // namespace

// The gradient of CE w.r.t. the logits is softmax(logits) - onehot(target) (e.g. Goodfellow et al. 2016,
// 6.2.2.3); kernels::softmax_xent_rows writes it over the logits.
torch::Tensor causal_lm_loss_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                 const torch::Tensor& labels) {
  const auto D = hidden.size(-1);
  auto h = hidden.narrow(1, 0, hidden.size(1) - 1).reshape({-1, D});  // (B, T, D) -> (B*(T-1), D)
  auto t = labels.narrow(1, 1, labels.size(1) - 1).reshape({-1});     // (B, T) -> (B*(T-1))
  auto keep = (t != -100).nonzero().squeeze(1);                       // (M)
  auto targets = t.index_select(0, keep);                             // (M)
  auto rows = h.index_select(0, keep);                                // (M, D)
  return chunked_lm_head(rows, weight, [&targets](torch::Tensor& logits, int64_t start, bool want_grad) {
    return kernels::softmax_xent_rows(logits, targets.narrow(0, start, logits.size(0)), want_grad);
  });
}

// d KL / d logits_S = softmax(logits_S) - softmax(logits_T), since the teacher's rows sum to 1.
torch::Tensor token_kl_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                           const torch::Tensor& teacher_hidden, const torch::Tensor& teacher_weight) {
  return chunked_lm_head(hidden, weight, [&](torch::Tensor& logits, int64_t start, bool want_grad) {
    auto teacher_h = teacher_hidden.narrow(0, start, logits.size(0));                 // (C, D)
    auto teacher_logits = torch::mm(teacher_h, teacher_weight.t()).to(torch::kFloat32);  // (C, V)
    auto log_t = torch::log_softmax(teacher_logits, /*dim=*/1);                        // (C, V)
    auto log_s = torch::log_softmax(logits, /*dim=*/1);                                // (C, V)
    auto p_t = log_t.exp();
    const double kl = (p_t * (log_t - log_s)).sum().item<double>();
    if (want_grad) logits = log_s.exp_().sub_(p_t);
    return kl;
  });
}

}  // namespace fsllm::model
