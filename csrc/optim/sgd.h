// SPDX-License-Identifier: Apache-2.0
// SGD with optional momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD.
#pragma once

#include "optim/optimizer.h"

namespace fsllm::optim {

class Sgd : public Optimizer {
 public:
  Sgd(const OptimizerConfig& config, std::vector<torch::Tensor> params);
  void step(double lr) override;
  torch::Tensor export_state() const override;
  void import_state(const torch::Tensor& flat) override;
  void reset() override;

 private:
  OptimizerConfig config_;
  std::vector<torch::Tensor> momentum_;  // undefined until the first step (torch semantics)
};

}  // namespace fsllm::optim
