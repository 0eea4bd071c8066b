// SPDX-License-Identifier: Apache-2.0
// GradScaler; see grad_scaler.h.
#include "amp/grad_scaler.h"

namespace fsllm::amp {

GradScaler::GradScaler(GradScalerConfig config) : config_(config), scale_(config.init_scale) {}

bool GradScaler::unscale(const std::vector<torch::Tensor>& params) const {
  torch::NoGradGuard no_grad;
  bool finite = true;
  for (auto& p : params) {
    if (!p.grad().defined()) continue;
    if (!torch::isfinite(p.grad()).all().item<bool>()) finite = false;
  }
  if (!finite || !config_.enabled) return finite;
  const double inv = 1.0 / scale_;
  for (auto& p : params) {
    if (p.grad().defined()) p.grad().mul_(inv);
  }
  return true;
}

void GradScaler::update(bool finite) {
  if (!config_.enabled) return;
  if (!finite) {
    scale_ *= config_.backoff_factor;
    good_steps_ = 0;
    return;
  }
  if (++good_steps_ >= config_.growth_interval) {
    scale_ *= config_.growth_factor;
    good_steps_ = 0;
  }
}

}  // namespace fsllm::amp
