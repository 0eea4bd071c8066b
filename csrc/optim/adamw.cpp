// SPDX-License-Identifier: Apache-2.0
// AdamW. reference: torch/optim/adamw.py `_single_tensor_adamw` (non-amsgrad, non-capturable branch):
// w *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// w -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
// State layout for export: [steps, m..., v...] in parameter order.
#include "optim/adamw.h"

#include <cmath>

#include "core/error.h"

namespace fsllm::optim {

AdamW::AdamW(const OptimizerConfig& config, std::vector<torch::Tensor> params)
    : Optimizer(std::move(params)), config_(config) {
  reset();
}

void AdamW::reset() {
  exp_avg_.clear();
  exp_avg_sq_.clear();
  for (auto& p : params_) {
    exp_avg_.push_back(torch::zeros_like(p, torch::kFloat32));
    exp_avg_sq_.push_back(torch::zeros_like(p, torch::kFloat32));
  }
  steps_ = 0;
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double bias1 = 1.0 - std::pow(config_.beta1, static_cast<double>(steps_));
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(config_.beta2, static_cast<double>(steps_)));
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    const auto& g = p.grad();
    if (!g.defined()) continue;
    if (config_.weight_decay != 0.0) p.mul_(1.0 - lr * config_.weight_decay);
    exp_avg_[i].lerp_(g, 1.0 - config_.beta1);
    exp_avg_sq_[i].mul_(config_.beta2).addcmul_(g, g, 1.0 - config_.beta2);
    auto denom = (exp_avg_sq_[i].sqrt() / bias2_sqrt).add_(config_.eps);
    p.addcdiv_(exp_avg_[i], denom, -lr / bias1);
  }
}

torch::Tensor AdamW::export_state() const {
  std::vector<torch::Tensor> parts{torch::full({1}, static_cast<float>(steps_), torch::kFloat32)};
  for (auto& m : exp_avg_) parts.push_back(m.reshape({-1}).cpu());
  for (auto& v : exp_avg_sq_) parts.push_back(v.reshape({-1}).cpu());
  return torch::cat(parts);
}

void AdamW::import_state(const torch::Tensor& flat) {
  torch::NoGradGuard no_grad;
  int64_t total = 1;
  for (auto& p : params_) total += 2 * p.numel();
  FSLLM_CHECK(flat.numel() == total, ErrorCode::kInvalidArg,
              "Optimizer state has " + std::to_string(flat.numel()) + " values; this AdamW expects " +
                  std::to_string(total));
  steps_ = static_cast<int64_t>(flat[0].item<float>());
  int64_t offset = 1;
  for (auto* group : {&exp_avg_, &exp_avg_sq_}) {
    for (auto& t : *group) {
      t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

}  // namespace fsllm::optim
