// SPDX-License-Identifier: Apache-2.0
// Optimizers over the trainable (fp32 master) parameters. The learning rate arrives with every step:
// schedules are TS policy. State is exportable as one flat buffer so a simulated client can park it.
#pragma once

#include <memory>
#include <vector>

namespace fsllm::optim {

enum class OptimizerType { kAdamW, kSgd };

struct OptimizerConfig {
  OptimizerType type = OptimizerType::kAdamW;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;   // SGD
  double dampening = 0.0;  // SGD
  bool nesterov = false;   // SGD
};

class Optimizer {
 public:
  explicit Optimizer(std::vector<torch::Tensor> params) : params_(std::move(params)) {}
  virtual ~Optimizer() = default;

  // Applies one update from each parameter's .grad() (undefined grads are skipped).
  virtual void step(double lr) = 0;
  // Flat fp32 copy of the state (moments, step count) / restore from one; empty for stateless SGD.
  virtual torch::Tensor export_state() const = 0;
  virtual void import_state(const torch::Tensor& flat) = 0;
  virtual void reset() = 0;

  void zero_grad();
  const std::vector<torch::Tensor>& params() const { return params_; }

 protected:
  std::vector<torch::Tensor> params_;
};

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, std::vector<torch::Tensor> params);

// Scales all grads so their global L2 norm is at most max_norm (as torch.nn.utils.clip_grad_norm_).
// Returns the norm before clipping. max_norm <= 0 only measures.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace fsllm::optim
