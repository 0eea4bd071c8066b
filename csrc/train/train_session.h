// SPDX-License-Identifier: Apache-2.0
// The unit of work behind one JS trainStep(): micro-batch loop with gradient accumulation, loss scaling,
// unscale, clipping, optimizer step. Pure C++ (no N-API) so it is testable on its own.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "amp/grad_scaler.h"
#include "amp/precision.h"
#include "optim/optimizer.h"
#include "train/batch.h"

namespace fsllm::train {

struct StepOptions {
  double lr = 1e-3;
  double max_grad_norm = 0.0;  // <= 0: no clipping (the norm is still reported)
  amp::Precision precision = amp::Precision::kFp32;
  double proximal_mu = 0.0;    // FedProx mu (>= 0); > 0 needs set_proximal_anchor()
};

struct StepMetrics {
  double loss = 0.0;             // mean CE over the step's target tokens
  int64_t target_tokens = 0;     // tokens that contributed to the loss
  int64_t input_tokens = 0;      // real (non-padding) input tokens
  double grad_norm = 0.0;        // before clipping, after unscaling (includes the proximal gradient)
  double proximal = 0.0;         // (mu/2) ||w - anchor||^2 at the step's start; 0 when mu is 0
  double loss_scale = 1.0;       // scale used for this step
  bool skipped = false;          // true when fp16 overflow skipped the update
  double ms = 0.0;               // wall time of the step
  std::vector<double> micro_losses;  // mean CE per micro-batch
};

class TrainSession {
 public:
  // Binds the optimizer to the model's currently trainable parameters.
  TrainSession(std::shared_ptr<model::CausalLmImpl> model, const optim::OptimizerConfig& optimizer,
               const amp::GradScalerConfig& scaler);

  // Loss is normalised by the total target tokens of all micro-batches, so accumulation over k
  // micro-batches equals one batch of their union. Throws fsllm::Error(kAborted) when `abort` is set
  // between micro-batches (grads are discarded, weights untouched).
  StepMetrics train_step(const std::vector<MicroBatch>& batches, const StepOptions& options,
                         const std::atomic<bool>& abort);

  // Keeps a copy of the FedProx anchor: `flat` has the layout of peft::export_flat (fp32, any device);
  // each slice is stored on its parameter's device and dtype. Throws fsllm::Error(kInvalidArg) naming
  // the expected and received lengths when the size differs.
  void set_proximal_anchor(const torch::Tensor& flat);
  void clear_proximal_anchor() { anchor_.clear(); }
  bool has_proximal_anchor() const { return !anchor_.empty(); }

  optim::Optimizer& optimizer() { return *optimizer_; }
  int64_t steps() const { return steps_; }

 private:
  // Returns (mu/2) ||w - anchor||^2 and, when `add_to_grads`, adds mu (w - anchor) to every grad.
  double apply_proximal(double mu, bool add_to_grads);
  void check_adapter_current() const;

  std::shared_ptr<model::CausalLmImpl> model_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  amp::GradScaler scaler_;
  std::vector<torch::Tensor> anchor_;  // empty, or anchor_[i] pairs with optimizer_->params()[i]
  int64_t steps_ = 0;
  int64_t adapter_version_;  // the model's adapter_version() the optimizer was bound to
};

struct EvalMetrics {
  double loss_sum = 0.0;
  int64_t target_tokens = 0;
};

// Loss without gradients. Runs the model in eval mode (no dropout).
EvalMetrics eval_step(model::CausalLmImpl& model, const std::vector<MicroBatch>& batches, amp::Precision precision);

// Full logits (B, T, V) fp32, eval mode, no gradients.
torch::Tensor forward_logits(model::CausalLmImpl& model, const MicroBatch& batch, amp::Precision precision);

}  // namespace fsllm::train
