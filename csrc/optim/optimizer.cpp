// SPDX-License-Identifier: Apache-2.0
// Optimizer factory, zero_grad and global-norm clipping.
// reference: torch/nn/utils/clip_grad.py: coef = max_norm / (total_norm + 1e-6), applied when coef < 1.
#include "optim/optimizer.h"

#include "optim/adamw.h"
#include "optim/sgd.h"

namespace fsllm::optim {

void Optimizer::zero_grad() {
  for (auto& p : params_) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, std::vector<torch::Tensor> params) {
  if (config.type == OptimizerType::kSgd) return std::make_unique<Sgd>(config, std::move(params));
  return std::make_unique<AdamW>(config, std::move(params));
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().to(torch::kFloat32).norm());
  }
  if (norms.empty()) return 0.0;
  const double total = torch::stack(norms).norm().item<double>();
  if (max_norm > 0.0) {
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1.0) {
      for (auto& p : params) {
        if (p.grad().defined()) p.grad().mul_(coef);
      }
    }
  }
  return total;
}

}  // namespace fsllm::optim
