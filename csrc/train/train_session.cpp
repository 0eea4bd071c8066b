// SPDX-License-Identifier: Apache-2.0
// Training and evaluation steps; see train_session.h.
#include "train/train_session.h"

#include <chrono>
#include <cstdlib>
#include <memory>

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

StepMetrics TrainSession::train_step(const std::vector<MicroBatch>& batches, const StepOptions& options,
                                     const std::atomic<bool>& abort) {
  const auto start = std::chrono::steady_clock::now();
  // FSLLM_PROFILE_TRACE=file.json writes a chrome://tracing profile of each step (overwritten per step).
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  if (const char* trace = std::getenv("FSLLM_PROFILE_TRACE")) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(trace);
  FSLLM_CHECK(!batches.empty(), ErrorCode::kInvalidArg, "trainStep needs at least one micro-batch");
  FSLLM_CHECK(model_->adapter_version() == adapter_version_, ErrorCode::kInvalidArg,
              "The model's adapter was detached or replaced after this TrainSession was created; create a new TrainSession");
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
