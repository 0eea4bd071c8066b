// SPDX-License-Identifier: Apache-2.0
// Chunked LM-head cross-entropy as a custom autograd function. Because the loss is the last op of the
// graph, the forward pass also computes d(loss)/d(hidden) and d(loss)/d(weight) chunk by chunk and the
// backward pass only scales them by the incoming gradient: peak memory is one (chunk, V) block.
// Gradient of CE w.r.t. logits: softmax(logits) - onehot(target) (e.g. Goodfellow et al. 2016, 6.2.2.3).
#include "model/loss.h"

namespace fsllm::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class ChunkedLmHeadLoss : public torch::autograd::Function<ChunkedLmHeadLoss> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& hidden, const torch::Tensor& weight,
                               const torch::Tensor& targets, int64_t chunk_rows) {
    const bool need_h = hidden.requires_grad();
    const bool need_w = weight.requires_grad();
    const auto M = hidden.size(0);
    auto total = torch::zeros({}, hidden.options().dtype(torch::kFloat32));
    torch::Tensor grad_h = need_h ? torch::empty_like(hidden) : torch::Tensor();
    torch::Tensor grad_w = need_w ? torch::zeros(weight.sizes(), weight.options().dtype(torch::kFloat32)) : torch::Tensor();
    for (int64_t start = 0; start < M; start += chunk_rows) {
      const auto rows = std::min(chunk_rows, M - start);
      auto h = hidden.narrow(0, start, rows);                                 // (C, D)
      auto t = targets.narrow(0, start, rows).unsqueeze(1);                   // (C, 1)
      auto logits = torch::matmul(h, weight.t()).to(torch::kFloat32);         // (C, V)
      // logsumexp in three passes over (C, V), reusing exp(logits - max) as the softmax numerator.
      auto target_logit = logits.gather(1, t);                                // (C, 1)
      auto max = std::get<0>(logits.max(/*dim=*/1, /*keepdim=*/true));        // (C, 1)
      auto e = logits.sub_(max).exp_();                                       // (C, V), in place
      auto sum = e.sum(/*dim=*/1, /*keepdim=*/true);                          // (C, 1)
      total += (max + sum.log() - target_logit).sum();
      if (!need_h && !need_w) continue;
      auto dlogits = e.div_(sum);                                             // softmax, in place
      dlogits.scatter_add_(1, t, torch::full({rows, 1}, -1.0f, dlogits.options()));
      auto d = dlogits.to(weight.scalar_type());
      if (need_h) grad_h.narrow(0, start, rows).copy_(torch::matmul(d, weight));  // (C, V) @ (V, D)
      if (need_w) grad_w.add_(torch::matmul(d.t(), h).to(torch::kFloat32));     // (V, C) @ (C, D)
    }
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

}  // namespace

std::pair<torch::Tensor, torch::Tensor> select_targets(const torch::Tensor& hidden, const torch::Tensor& labels) {
  const auto D = hidden.size(-1);
  auto h = hidden.narrow(1, 0, hidden.size(1) - 1).reshape({-1, D});  // (B*(T-1), D)
  auto t = labels.narrow(1, 1, labels.size(1) - 1).reshape({-1});     // (B*(T-1))
  auto keep = (t != -100).nonzero().squeeze(1);                       // (M)
  return {h.index_select(0, keep), t.index_select(0, keep)};
}

torch::Tensor lm_head_cross_entropy_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                        const torch::Tensor& targets, int64_t chunk_rows) {
  if (chunk_rows <= 0) chunk_rows = default_chunk_rows(weight.size(0));
  return ChunkedLmHeadLoss::apply(hidden, weight, targets, chunk_rows);
}

int64_t default_chunk_rows(int64_t vocab_size) {
  return std::max<int64_t>(16, (int64_t{8} << 20) / std::max<int64_t>(1, vocab_size));
}

}  // namespace fsllm::model
