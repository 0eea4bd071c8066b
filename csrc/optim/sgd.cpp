// SPDX-License-Identifier: Apache-2.0
// SGD. reference: torch/optim/sgd.py `_single_tensor_sgd`: g += wd w; buf = g (first step) else
// buf = mu buf + (1 - dampening) g; g = g + mu buf if nesterov else buf; w -= lr g.
// State layout for export: [has_momentum, buf...] (momentum buffers only when momentum > 0).
#include "optim/sgd.h"

#include "core/error.h"

namespace fsllm::optim {

Sgd::Sgd(const OptimizerConfig& config, std::vector<torch::Tensor> params)
    : Optimizer(std::move(params)), config_(config) {
  reset();
}

void Sgd::reset() { momentum_.assign(params_.size(), torch::Tensor()); }

void Sgd::step(double lr) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    auto g = p.grad();
    if (config_.weight_decay != 0.0) g = g.add(p, config_.weight_decay);
    if (config_.momentum != 0.0) {
      auto& buf = momentum_[i];
      if (!buf.defined()) {
        buf = g.detach().clone();
      } else {
        buf.mul_(config_.momentum).add_(g, 1.0 - config_.dampening);
      }
      g = config_.nesterov ? g.add(buf, config_.momentum) : buf;
    }
    p.add_(g, -lr);
  }
}

torch::Tensor Sgd::export_state() const {
  if (config_.momentum == 0.0 || momentum_.empty() || !momentum_[0].defined()) return torch::zeros({1}, torch::kFloat32);
  std::vector<torch::Tensor> parts{torch::ones({1}, torch::kFloat32)};
  for (auto& b : momentum_) parts.push_back(b.reshape({-1}).cpu());
  return torch::cat(parts);
}

void Sgd::import_state(const torch::Tensor& flat) {
  torch::NoGradGuard no_grad;
  FSLLM_CHECK(flat.numel() >= 1, ErrorCode::kInvalidArg, "Optimizer state is empty; expected an SGD state");
  if (flat[0].item<float>() == 0.0f) {
    reset();
    return;
  }
  int64_t total = 1;
  for (auto& p : params_) total += p.numel();
  FSLLM_CHECK(flat.numel() == total, ErrorCode::kInvalidArg,
              "Optimizer state has " + std::to_string(flat.numel()) + " values; this SGD expects " + std::to_string(total));
  int64_t offset = 1;
  for (size_t i = 0; i < params_.size(); ++i) {
    momentum_[i] = flat.narrow(0, offset, params_[i].numel()).view(params_[i].sizes()).clone().to(params_[i].device());
    offset += params_[i].numel();
  }
}

}  // namespace fsllm::optim
