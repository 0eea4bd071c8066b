// SPDX-License-Identifier: Apache-2.0
// Data-parallel shares and sums; see replica_share.h.
#include "train/replica_share.h"

#include <algorithm>

namespace fsllm::train {

std::vector<std::pair<size_t, MicroBatch>> share_of(const std::vector<MicroBatch>& batches, int rank, int world) {
  std::vector<std::pair<size_t, MicroBatch>> share;
  const auto n = batches.size();
  if (n >= static_cast<size_t>(world)) {
    for (size_t i = static_cast<size_t>(rank); i < n; i += static_cast<size_t>(world)) share.emplace_back(i, batches[i]);
    return share;
  }
  for (size_t i = 0; i < n; ++i) {
    const auto& b = batches[i];
    const int64_t rows = b.ids.size(0);
    const int64_t per_rank = (rows + world - 1) / world;
    const int64_t first = std::min<int64_t>(rank * per_rank, rows);
    const int64_t count = std::min<int64_t>(per_rank, rows - first);
    if (count <= 0) continue;
    auto rows_of = [&](const torch::Tensor& t) { return t.defined() ? t.narrow(0, first, count) : t; };
    share.emplace_back(i, MicroBatch{rows_of(b.ids), rows_of(b.labels), rows_of(b.mask), rows_of(b.segments)});
  }
  return share;
}

// Sums every rank's gradients and per-micro-batch loss sums. A rank that reached no piece (or no use of a
// parameter) sends zeros for it; a parameter that no rank gave a gradient ends without one, as in one
// process (the optimizer skips it rather than decaying it).
void sum_over_replicas(Replicas& replicas, const std::vector<torch::Tensor>& params, std::vector<double>& micro_sums) {
  std::vector<double> had_grad(params.size(), 0.0);
  std::vector<torch::Tensor> tensors;
  for (size_t i = 0; i < params.size(); ++i) {
    auto& grad = params[i].mutable_grad();
    had_grad[i] = grad.defined() ? 1.0 : 0.0;
    if (!grad.defined()) grad = torch::zeros_like(params[i]);
    tensors.push_back(grad);
  }
  tensors.push_back(torch::from_blob(micro_sums.data(), {static_cast<int64_t>(micro_sums.size())}, torch::kFloat64));
  tensors.push_back(torch::from_blob(had_grad.data(), {static_cast<int64_t>(had_grad.size())}, torch::kFloat64));
  replicas.all_reduce_sum(tensors);
  for (size_t i = 0; i < params.size(); ++i) {
    if (had_grad[i] == 0.0) params[i].mutable_grad() = torch::Tensor();
  }
}

}  // namespace fsllm::train
