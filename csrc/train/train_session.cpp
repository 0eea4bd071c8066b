// SPDX-License-Identifier: Apache-2.0
// Training and evaluation steps; see train_session.h.
#include "train/train_session.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include <torch/csrc/autograd/profiler_legacy.h>

#include "core/error.h"
#include "core/fork_gate.h"
#include "peft/adapter_state.h"
#include "peft/inject.h"
#include "train/replica_share.h"

namespace fsllm::train {

namespace {

std::unordered_map<const c10::TensorImpl*, size_t> index_of(const std::vector<torch::Tensor>& params) {
  std::unordered_map<const c10::TensorImpl*, size_t> index;
  for (size_t i = 0; i < params.size(); ++i) index.emplace(params[i].unsafeGetTensorImpl(), i);
  return index;
}

}  // namespace

FreezeGuard::FreezeGuard(std::vector<torch::Tensor> tensors) : tensors_(std::move(tensors)) {
  for (auto& t : tensors_) t.set_requires_grad(false);
}

FreezeGuard::~FreezeGuard() {
  for (auto& t : tensors_) t.set_requires_grad(true);
}

TrainSession::TrainSession(std::shared_ptr<model::CausalLmImpl> model, const optim::OptimizerConfig& optimizer,
                           const amp::GradScalerConfig& scaler, const std::vector<int64_t>& layers)
    : model_(std::move(model)), scaler_(scaler), adapter_version_(model_->adapter_version()) {
  const auto L = model_->config().num_layers;
  for (auto layer : layers) {
    FSLLM_CHECK(layer >= 0 && layer < L, ErrorCode::kInvalidArg,
                "Expected layer indices in [0, " + std::to_string(L) + ") for layers but received " + list_text(layers));
  }
  std::vector<torch::Tensor> params;
  for (auto& [name, p] : peft::trainable_parameters(*model_)) {
    const bool mine = layers.empty() || std::count(layers.begin(), layers.end(), model::CausalLmImpl::layer_of(name)) > 0;
    (mine ? params : others_).push_back(p);
  }
  FSLLM_CHECK(!params.empty() || !layers.empty(), ErrorCode::kInvalidArg,
              "The model has no trainable parameters; attach an adapter (model.attachLora) before creating a session");
  FSLLM_CHECK(!params.empty(), ErrorCode::kInvalidArg,
              "layers " + list_text(layers) + " select no trainable (LoRA) tensor of this model; attach LoRA to those layers or choose others");
  const auto index = index_of(params);
  for (auto& [name, linear] : model_->projections()) {
    if (!linear->has_lora()) continue;
    const auto a = index.find(linear->lora_a().unsafeGetTensorImpl());
    const auto b = index.find(linear->lora_b().unsafeGetTensorImpl());
    if (a != index.end() && b != index.end()) lora_pairs_.push_back({a->second, b->second, linear->scaling()});
  }
  optimizer_ = optim::make_optimizer(optimizer, std::move(params));
}

void TrainSession::check_trainable() const {
  check_adapter_current();
  FSLLM_CHECK(!peft::any_merged(*model_), ErrorCode::kInvalidArg,
              "The adapter is merged into the base weights; call unmergeLora() before training");
}

void TrainSession::check_adapter_current() const {
  FSLLM_CHECK(model_->adapter_version() == adapter_version_, ErrorCode::kInvalidArg,
              "The model's trainable tensors changed after this TrainSession was created (an adapter attached or detached, or layers unfrozen or frozen); create a new TrainSession");
}

// The flat buffer is laid out in peft::trainable_parameters() order (as export_flat). The optimizer holds
// the same tensors (or, with `layers`, some of them), but rather than rely on both lists having been built
// in the same order, each slice is matched to its optimizer parameter by tensor identity; slices of
// tensors outside the session are skipped.
void TrainSession::set_proximal_anchor(const torch::Tensor& flat) {
  check_adapter_current();
  torch::NoGradGuard no_grad;
  const auto& params = optimizer_->params();
  const auto index = index_of(params);
  const auto named = peft::trainable_parameters(*model_);
  int64_t total = 0;
  for (const auto& [name, p] : named) total += p.numel();
  FSLLM_CHECK(flat.numel() == total, ErrorCode::kInvalidArg,
              "Proximal anchor has " + std::to_string(flat.numel()) + " values but " + std::to_string(total) +
                  " were expected (the model's whole trainable state, also for a session with layers); pass the data of Model.exportAdapter()");
  std::vector<torch::Tensor> anchor(params.size());
  int64_t offset = 0;
  size_t bound = 0;
  for (const auto& [name, p] : named) {
    const auto found = index.find(p.unsafeGetTensorImpl());
    if (found != index.end()) {
      FSLLM_CHECK(!anchor[found->second].defined(), ErrorCode::kNative, "Trainable parameter " + name + " appears twice");
      auto slice = flat.narrow(/*dim=*/0, offset, p.numel()).reshape(p.sizes());  // (numel) -> shape of p
      anchor[found->second] = slice.to(p.device(), p.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
      ++bound;
    }
    offset += p.numel();
  }
  FSLLM_CHECK(bound == params.size(), ErrorCode::kNative, "A parameter of this session's optimizer is no longer trainable in the model");
  anchor_ = std::move(anchor);
  ++state_version_;
}

void TrainSession::clear_proximal_anchor() {
  anchor_.clear();
  ++state_version_;
}

void TrainSession::adopt_proximal_anchor(std::vector<torch::Tensor> anchor) {
  const auto& params = optimizer_->params();
  FSLLM_CHECK(anchor.size() == params.size(), ErrorCode::kInvalidArg,
              "A proximal anchor needs " + std::to_string(params.size()) + " tensors but received " + std::to_string(anchor.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    FSLLM_CHECK(anchor[i].sizes() == params[i].sizes(), ErrorCode::kInvalidArg,
                "Proximal anchor tensor " + std::to_string(i) + " does not have its parameter's shape");
    anchor[i] = anchor[i].to(params[i].device(), params[i].scalar_type());
  }
  anchor_ = std::move(anchor);
  ++state_version_;
}

void TrainSession::reset_optimizer() {
  optimizer_->reset();
  ++state_version_;
}

void TrainSession::import_optimizer_state(const torch::Tensor& flat) {
  ++state_version_;  // first: a failed import may have written some state
  optimizer_->import_state(flat);
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

// FedBiOT's client regulariser ([FedBiOT] federatedscope/llm/trainer/bilevel_OT_trainer.py, OTTrainer_client:
// loss + lm_loss_weight * sum ||W - W_init||^2 over the merged LoRA weights, no 1/2). With W = W_base + s B A,
// W - W0 = s (B A - B0 A0). The squared Frobenius norm is expanded in the factors so that nothing of size
// (out, in) is formed and only (R, R) products are kept for backward:
//   ||B A - B0 A0||^2 = <B^T B, A A^T> - 2 <B^T B0, A A0^T> + <B0^T B0, A0 A0^T>.
// It runs in float64 because the expansion cancels when W is near W0 (e.g. at the round's start).
torch::Tensor TrainSession::merged_proximal(double lambda) const {
  const auto& params = optimizer_->params();
  std::vector<torch::Tensor> terms;
  for (const auto& pair : lora_pairs_) {
    auto a = params[pair.a].to(torch::kFloat64), b = params[pair.b].to(torch::kFloat64);     // (R, in), (out, R)
    auto a0 = anchor_[pair.a].to(torch::kFloat64), b0 = anchor_[pair.b].to(torch::kFloat64);  // constants
    auto current = (b.t().mm(b) * a.mm(a.t())).sum();                                        // (R, R) products
    auto cross = (b.t().mm(b0) * a.mm(a0.t())).sum();
    auto start = (b0.t().mm(b0) * a0.mm(a0.t())).sum();
    terms.push_back((current - 2.0 * cross + start) * (pair.scaling * pair.scaling));
  }
  if (terms.empty()) return torch::zeros({}, torch::kFloat64);
  return torch::stack(terms).sum() * lambda;
}

TrainSession::Update TrainSession::apply_update(const StepOptions& options) {
  Update u;
  const auto& params = optimizer_->params();
  const bool finite = scaler_.unscale(params);
  // An overflowed fp16 step is skipped: its grads are discarded, so the proximal gradient is not added.
  if (options.proximal_mode == ProximalMode::kParams) u.proximal = apply_proximal(options.proximal_mu, /*add_to_grads=*/finite);
  if (finite) {
    u.grad_norm = optim::clip_grad_norm(params, options.max_grad_norm);
    optimizer_->step(options.lr);
  } else {
    u.skipped = true;
    u.grad_norm = std::numeric_limits<double>::infinity();
  }
  scaler_.update(finite);
  optimizer_->zero_grad();
  ++steps_;
  model_->bump_weights_version();
  return u;
}

TrainSession::StepTokens TrainSession::check_step(const std::vector<MicroBatch>& batches, const StepOptions& options) const {
  FSLLM_CHECK(!batches.empty(), ErrorCode::kInvalidArg, "trainStep needs at least one micro-batch");
  check_trainable();
  FSLLM_CHECK(options.proximal_mu <= 0.0 || has_proximal_anchor(), ErrorCode::kInvalidArg,
              "proximalMu > 0 needs an anchor: call setProximalAnchor first");
  StepTokens tokens;
  for (size_t i = 0; i < batches.size(); ++i) {
    validate(batches[i], model_->config(), i);
    tokens.micro_targets.push_back(count_targets(batches[i], model_->leads_inputs()));
    tokens.targets += tokens.micro_targets.back();
    tokens.inputs += batches[i].mask.sum().item<int64_t>();
  }
  FSLLM_CHECK(tokens.targets > 0, ErrorCode::kInvalidArg,
              "No position of this step has a target (after the causal shift, every label is -100), so there is nothing to learn; drop such examples when batching");
  return tokens;
}

StepMetrics TrainSession::train_step(const std::vector<MicroBatch>& batches, const StepOptions& options,
                                     const std::atomic<bool>& abort, Replicas* replicas) {
  const auto start = std::chrono::steady_clock::now();
  // FSLLM_PROFILE_TRACE=file.json writes a chrome://tracing profile of each step (overwritten per step).
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  if (const char* trace = std::getenv("FSLLM_PROFILE_TRACE")) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(trace);
  const auto tokens = check_step(batches, options);
  StepMetrics m;
  m.target_tokens = tokens.targets;
  m.input_tokens = tokens.inputs;
  auto frozen = freeze_others();
  model_->train();
  optimizer_->zero_grad();
  m.loss_scale = scaler_.scale();
  // The merged-weight term is a function of the weights only: added once per step (scaled like the loss,
  // whose gradient the micro-batches accumulate), outside autocast so it keeps float64.
  // With replicas its gradient is added on rank 0 only: the ranks' gradients are summed.
  const int rank = replicas ? replicas->rank() : 0;
  const int world = replicas ? replicas->world() : 1;
  if (options.proximal_mode == ProximalMode::kMerged && options.proximal_mu > 0.0) {
    auto term = merged_proximal(options.proximal_mu);
    m.proximal = term.item<double>();
    if (term.requires_grad() && rank == 0) (term * m.loss_scale).backward();
  }
  amp::AutocastGuard autocast(options.precision, model_->lm_head_weight().device());
  model_->set_checkpoint_blocks(options.checkpoint_activations);
  struct CheckpointOff {
    model::CausalLmImpl& model;
    ~CheckpointOff() { model.set_checkpoint_blocks(false); }
  } checkpoint_off{*model_};
  std::vector<double> micro_sums(batches.size(), 0.0);
  for (const auto& [index, b] : share_of(batches, rank, world)) {
    fork_yield_point();
    if (abort.load()) {
      optimizer_->zero_grad();
      throw Error(ErrorCode::kAborted, "trainStep was aborted; the weights were not updated");
    }
    auto sum = loss_sum(*model_, b);
    (sum * (m.loss_scale / static_cast<double>(m.target_tokens))).backward();
    micro_sums[index] += sum.item<double>();
  }
  if (replicas) sum_over_replicas(*replicas, optimizer_->params(), micro_sums);
  double total = 0.0;
  for (size_t i = 0; i < batches.size(); ++i) {
    total += micro_sums[i];
    const auto n = tokens.micro_targets[i];
    m.micro_losses.push_back(n > 0 ? micro_sums[i] / n : 0.0);
  }
  m.loss = total / static_cast<double>(m.target_tokens);
  const auto u = apply_update(options);
  if (options.proximal_mode == ProximalMode::kParams) m.proximal = u.proximal;
  m.grad_norm = u.grad_norm;
  m.skipped = u.skipped;
  m.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return m;
}

}  // namespace fsllm::train
