// SPDX-License-Identifier: Apache-2.0
// Training and evaluation steps; see train_session.h.
#include "train/train_session.h"

#include <chrono>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include <torch/csrc/autograd/profiler_legacy.h>

#include "core/error.h"
#include "model/loss.h"
#include "peft/adapter_state.h"
#include "peft/inject.h"

namespace fsllm::train {

namespace {

std::vector<torch::Tensor> params_of(model::CausalLmImpl& model) {
  std::vector<torch::Tensor> out;
  for (auto& [name, p] : peft::trainable_parameters(model)) out.push_back(p);
  return out;
}

// Sum of token losses of one micro-batch (differentiable).
torch::Tensor loss_sum(model::CausalLmImpl& model, const MicroBatch& b) {
  auto hidden = model.hidden_states(b.ids, b.mask, /*cache=*/nullptr, b.segments);  // (B, T, D)
  auto [rows, targets] = model::select_targets(hidden, b.labels);       // (M, D), (M)
  return model::lm_head_cross_entropy_sum(rows, model.lm_head_weight(), targets);
}

}  // namespace

TrainSession::TrainSession(std::shared_ptr<model::CausalLmImpl> model, const optim::OptimizerConfig& optimizer,
                           const amp::GradScalerConfig& scaler)
    : model_(std::move(model)), scaler_(scaler), adapter_version_(model_->adapter_version()) {
  auto params = params_of(*model_);
  FSLLM_CHECK(!params.empty(), ErrorCode::kInvalidArg,
              "The model has no trainable parameters; attach an adapter (model.attachLora) before creating a session");
  optimizer_ = optim::make_optimizer(optimizer, std::move(params));
}

void TrainSession::check_adapter_current() const {
  FSLLM_CHECK(model_->adapter_version() == adapter_version_, ErrorCode::kInvalidArg,
              "The model's adapter was detached or replaced after this TrainSession was created; create a new TrainSession");
}

// The flat buffer is laid out in peft::trainable_parameters() order (as export_flat). The optimizer holds
// the same tensors, but rather than rely on both lists having been built in the same order, each slice is
// matched to its optimizer parameter by tensor identity.
void TrainSession::set_proximal_anchor(const torch::Tensor& flat) {
  check_adapter_current();
  torch::NoGradGuard no_grad;
  const auto& params = optimizer_->params();
  std::unordered_map<const c10::TensorImpl*, size_t> index;
  for (size_t i = 0; i < params.size(); ++i) index.emplace(params[i].unsafeGetTensorImpl(), i);
  const auto named = peft::trainable_parameters(*model_);
  int64_t total = 0;
  for (const auto& [name, p] : named) total += p.numel();
  FSLLM_CHECK(flat.numel() == total, ErrorCode::kInvalidArg,
              "Proximal anchor has " + std::to_string(flat.numel()) + " values but " + std::to_string(total) +
                  " were expected (the session's trainable state); pass the data of Model.exportAdapter()");
  FSLLM_CHECK(named.size() == params.size(), ErrorCode::kNative, "The trainable parameters differ from the optimizer's");
  std::vector<torch::Tensor> anchor(params.size());
  int64_t offset = 0;
  for (const auto& [name, p] : named) {
    const auto found = index.find(p.unsafeGetTensorImpl());
    FSLLM_CHECK(found != index.end() && !anchor[found->second].defined(), ErrorCode::kNative,
                "Trainable parameter " + name + " is not bound to this session's optimizer");
    auto slice = flat.narrow(/*dim=*/0, offset, p.numel()).reshape(p.sizes());  // (numel) -> shape of p
    anchor[found->second] = slice.to(p.device(), p.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
    offset += p.numel();
  }
  anchor_ = std::move(anchor);
}

// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks", eq. 2): the local objective
// h(w) = F(w) + (mu/2) ||w - w_anchor||^2 has gradient grad F(w) + mu (w - w_anchor). The weights do not
// change between the forward pass and this call, so the value is the one at the step's start.
double TrainSession::apply_proximal(double mu, bool add_to_grads) {
  if (mu <= 0.0) return 0.0;
  torch::NoGradGuard no_grad;
  const auto& params = optimizer_->params();
  std::vector<torch::Tensor> sums;
  for (size_t i = 0; i < params.size(); ++i) {
    auto& p = params[i];
    auto diff = p.detach() - anchor_[i];  // shape of p
    sums.push_back(diff.square().sum(torch::kFloat64));  // one sync below, not one per tensor
    if (!add_to_grads) continue;
    if (p.grad().defined()) {
      p.mutable_grad().add_(diff, /*alpha=*/mu);
    } else {
      p.mutable_grad() = diff.mul(mu);
    }
  }
  return 0.5 * mu * torch::stack(sums).sum().item<double>();
}

StepMetrics TrainSession::train_step(const std::vector<MicroBatch>& batches, const StepOptions& options,
                                     const std::atomic<bool>& abort) {
  const auto start = std::chrono::steady_clock::now();
  // FSLLM_PROFILE_TRACE=file.json writes a chrome://tracing profile of each step (overwritten per step).
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  if (const char* trace = std::getenv("FSLLM_PROFILE_TRACE")) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(trace);
  FSLLM_CHECK(!batches.empty(), ErrorCode::kInvalidArg, "trainStep needs at least one micro-batch");
  check_adapter_current();
  FSLLM_CHECK(options.proximal_mu <= 0.0 || has_proximal_anchor(), ErrorCode::kInvalidArg,
              "proximalMu > 0 needs an anchor: call setProximalAnchor first");
  FSLLM_CHECK(!peft::any_merged(*model_), ErrorCode::kInvalidArg,
              "The adapter is merged into the base weights; call unmergeLora() before training");
  StepMetrics m;
  for (size_t i = 0; i < batches.size(); ++i) {
    validate(batches[i], model_->config(), i);
    m.target_tokens += count_targets(batches[i]);
    m.input_tokens += batches[i].mask.sum().item<int64_t>();
  }
  FSLLM_CHECK(m.target_tokens > 0, ErrorCode::kInvalidArg,
              "No position of this step has a target (after the causal shift, every label is -100), so there is nothing to learn; drop such examples when batching");
  model_->train();
  optimizer_->zero_grad();
  m.loss_scale = scaler_.scale();
  amp::AutocastGuard autocast(options.precision, model_->lm_head_weight().device());
  double total = 0.0;
  for (const auto& b : batches) {
    if (abort.load()) {
      optimizer_->zero_grad();
      throw Error(ErrorCode::kAborted, "trainStep was aborted; the weights were not updated");
    }
    auto sum = loss_sum(*model_, b);
    (sum * (m.loss_scale / static_cast<double>(m.target_tokens))).backward();
    const double s = sum.item<double>();
    total += s;
    const auto n = count_targets(b);
    m.micro_losses.push_back(n > 0 ? s / n : 0.0);
  }
  m.loss = total / static_cast<double>(m.target_tokens);
  const bool finite = scaler_.unscale(optimizer_->params());
  // An overflowed fp16 step is skipped: its grads are discarded, so the proximal gradient is not added.
  m.proximal = apply_proximal(options.proximal_mu, /*add_to_grads=*/finite);
  if (finite) {
    m.grad_norm = optim::clip_grad_norm(optimizer_->params(), options.max_grad_norm);
    optimizer_->step(options.lr);
  } else {
    m.skipped = true;
    m.grad_norm = std::numeric_limits<double>::infinity();
  }
  scaler_.update(finite);
  optimizer_->zero_grad();
  ++steps_;
  m.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return m;
}

EvalMetrics eval_step(model::CausalLmImpl& model, const std::vector<MicroBatch>& batches, amp::Precision precision) {
  torch::NoGradGuard no_grad;
  model.eval();
  amp::AutocastGuard autocast(precision, model.lm_head_weight().device());
  EvalMetrics m;
  for (size_t i = 0; i < batches.size(); ++i) {
    validate(batches[i], model.config(), i);
    m.loss_sum += loss_sum(model, batches[i]).item<double>();
    m.target_tokens += count_targets(batches[i]);
  }
  return m;
}

torch::Tensor forward_logits(model::CausalLmImpl& model, const MicroBatch& batch, amp::Precision precision) {
  torch::NoGradGuard no_grad;
  model.eval();
  validate(batch, model.config(), 0);
  amp::AutocastGuard autocast(precision, model.lm_head_weight().device());
  return model.logits(model.hidden_states(batch.ids, batch.mask, nullptr, batch.segments)).to(torch::kFloat32);
}

}  // namespace fsllm::train
