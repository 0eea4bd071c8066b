// SPDX-License-Identifier: Apache-2.0
// AdamW (Loshchilov & Hutter 2019, decoupled weight decay), update identical to torch.optim.AdamW.
#pragma once

#include "optim/optimizer.h"

namespace fsllm::optim {

class AdamW : public Optimizer {
 public:
  AdamW(const OptimizerConfig& config, std::vector<torch::Tensor> params);
  void step(double lr) override;
  torch::Tensor export_state() const override;
  void import_state(const torch::Tensor& flat) override;
  void reset() override;

 private:
  OptimizerConfig config_;
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;
  int64_t steps_ = 0;
};

}  // namespace fsllm::optim
