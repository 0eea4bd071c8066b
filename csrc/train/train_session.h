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
#include "train/replicas.h"

namespace fsllm::train {

// What the proximal coefficient regularises (both need set_proximal_anchor()):
//   kParams: FedProx (mu/2) ||theta - theta0||^2 over the session's LoRA tensors (added to the grads);
//   kMerged: FedBiOT mu * sum over LoRA modules of ||W - W0||^2 = mu ||s (B A - B0 A0)||^2 (no 1/2), through
//            autograd, once per step.
enum class ProximalMode { kParams, kMerged };

struct StepOptions {
  double lr = 1e-3;
  double max_grad_norm = 0.0;  // <= 0: no clipping (the norm is still reported)
  amp::Precision precision = amp::Precision::kFp32;
  double proximal_mu = 0.0;    // FedProx mu / FedBiOT lambda (>= 0); > 0 needs set_proximal_anchor()
  ProximalMode proximal_mode = ProximalMode::kParams;
  bool checkpoint_activations = false;  // recompute each block in backward instead of keeping its activations
};

struct StepMetrics {
  double loss = 0.0;             // mean CE over the step's target tokens
  int64_t target_tokens = 0;     // tokens that contributed to the loss
  int64_t input_tokens = 0;      // real (non-padding) input tokens
  double grad_norm = 0.0;        // before clipping, after unscaling (includes the proximal gradient)
  double proximal = 0.0;         // the proximal term at the step's start (see ProximalMode); 0 when mu is 0
  double loss_scale = 1.0;       // scale used for this step
  bool skipped = false;          // true when fp16 overflow skipped the update
  double ms = 0.0;               // wall time of the step
  std::vector<double> micro_losses;  // mean CE per micro-batch
};

// Sets requires_grad false on `tensors` for its lifetime and back to true after (also when unwinding), so
// autograd computes no gradient for them. Not copyable; one guard per step.
class FreezeGuard {
 public:
  explicit FreezeGuard(std::vector<torch::Tensor> tensors);
  ~FreezeGuard();
  FreezeGuard(const FreezeGuard&) = delete;
  FreezeGuard& operator=(const FreezeGuard&) = delete;

 private:
  std::vector<torch::Tensor> tensors_;
};

class TrainSession {
 public:
  // Binds the optimizer to the model's currently trainable parameters; with `layers` non-empty, only to
  // those of modules in these layer indices (CausalLmImpl::layer_of). Throws fsllm::Error(kInvalidArg)
  // naming `layers` for an index outside [0, L) or a selection without trainable tensors.
  TrainSession(std::shared_ptr<model::CausalLmImpl> model, const optim::OptimizerConfig& optimizer,
               const amp::GradScalerConfig& scaler, const std::vector<int64_t>& layers = {});

  // Loss is normalised by the total target tokens of all micro-batches, so accumulation over k
  // micro-batches equals one batch of their union. Throws fsllm::Error(kAborted) when `abort` is set
  // between micro-batches (grads are discarded, weights untouched).
  // With `replicas`, every rank passes the same `batches` (the whole step) and computes its share of them
  // (share_of); gradients and losses are summed over the ranks before the update, which every rank then
  // applies alike. Callers keep the replicas' state equal first (train/replica_step.h).
  StepMetrics train_step(const std::vector<MicroBatch>& batches, const StepOptions& options,
                         const std::atomic<bool>& abort, Replicas* replicas = nullptr);

  // Optimizer state changes that data-parallel ranks must follow (they bump state_version()).
  void reset_optimizer();
  void import_optimizer_state(const torch::Tensor& flat);

  // Keeps a copy of the FedProx anchor: `flat` has the layout of peft::export_flat (fp32, any device),
  // i.e. the model's whole trainable state even when this session trains only some layers; the slices
  // of this session's parameters are stored on their parameter's device and dtype. Throws fsllm::Error(kInvalidArg) naming
  // the expected and received lengths when the size differs.
  void set_proximal_anchor(const torch::Tensor& flat);
  void clear_proximal_anchor();
  bool has_proximal_anchor() const { return !anchor_.empty(); }
  // The anchor as stored: one tensor per optimizer parameter, in optimizer order (empty: none).
  const std::vector<torch::Tensor>& proximal_anchor() const { return anchor_; }
  // Takes an anchor in that layout (a data-parallel rank receiving rank 0's); throws kInvalidArg when a
  // tensor's shape does not match its parameter's.
  void adopt_proximal_anchor(std::vector<torch::Tensor> anchor);

  // Counts every change of optimizer state, anchor or loss scale made outside a step.
  int64_t state_version() const { return state_version_; }
  amp::GradScaler& scaler() { return scaler_; }

  optim::Optimizer& optimizer() { return *optimizer_; }
  int64_t steps() const { return steps_; }
  model::CausalLmImpl& model() { return *model_; }

  // --- The parts of an optimizer step, also used by steps defined elsewhere (train/align_step).

  // Throws fsllm::Error(kInvalidArg) when the adapter changed since creation or is merged.
  void check_trainable() const;
  // What train_step refuses, refused up front (trainable state, an anchor for proximal_mu, every batch valid,
  // some target); returns the step's token counts.
  struct StepTokens {
    std::vector<int64_t> micro_targets;  // per micro-batch
    int64_t targets = 0;
    int64_t inputs = 0;  // real (non-padding) input tokens
  };
  StepTokens check_step(const std::vector<MicroBatch>& batches, const StepOptions& options) const;
  // Freezes the model's trainable tensors outside this session (none when it trains every layer).
  FreezeGuard freeze_others() const { return FreezeGuard(others_); }
  double loss_scale() const { return scaler_.scale(); }
  struct Update {
    double grad_norm = 0.0;
    double proximal = 0.0;  // kParams term when options.proximal_mu > 0
    bool skipped = false;   // fp16 overflow: no update
  };
  // After the backward passes of the loss times loss_scale(): unscale, FedProx (kParams) gradient, clip,
  // optimizer step, scaler update, zero grad.
  Update apply_update(const StepOptions& options);

 private:
  // Returns (mu/2) ||w - anchor||^2 and, when `add_to_grads`, adds mu (w - anchor) to every grad.
  double apply_proximal(double mu, bool add_to_grads);
  // lambda * sum over lora_pairs_ of ||s (B A - B0 A0)||^2, differentiable w.r.t. A and B (float64).
  torch::Tensor merged_proximal(double lambda) const;
  void check_adapter_current() const;

  struct LoraPair {
    size_t a, b;     // indices into optimizer_->params() of lora_A / lora_B of one module
    double scaling;
  };

  std::shared_ptr<model::CausalLmImpl> model_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  amp::GradScaler scaler_;
  std::vector<torch::Tensor> others_;  // trainable tensors of the model outside this session's layers
  std::vector<LoraPair> lora_pairs_;   // LoRA modules whose A and B this session trains
  std::vector<torch::Tensor> anchor_;  // empty, or anchor_[i] pairs with optimizer_->params()[i]
  int64_t steps_ = 0;
  int64_t adapter_version_;  // the model's adapter_version() the optimizer was bound to
  int64_t state_version_ = 0;
};

}  // namespace fsllm::train
