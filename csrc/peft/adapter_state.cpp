// SPDX-License-Identifier: Apache-2.0
// Flat export/import of the trainable state; see adapter_state.h.
#include "peft/adapter_state.h"

#include <algorithm>
#include <unordered_map>

#include "core/error.h"
#include "peft/inject.h"

namespace fsllm::peft {

std::string peft_key(const std::string& param_name) {
  // PEFT keeps a prompt encoder beside the wrapped model, not inside it.
  if (param_name.rfind("prompt_encoder.", 0) == 0) return param_name;
  return "base_model.model." + param_name;
}

std::vector<std::pair<std::string, torch::Tensor>> trainable_parameters(model::CausalLmImpl& model) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& item : model.named_parameters(/*recurse=*/true)) {
    if (item.value().requires_grad()) out.emplace_back(item.key(), item.value());
  }
  return out;
}

std::vector<ManifestEntry> manifest(model::CausalLmImpl& model) {
  std::vector<ManifestEntry> out;
  int64_t offset = 0;
  for (auto& [name, p] : trainable_parameters(model)) {
    out.push_back({peft_key(name), p.sizes().vec(), offset});
    offset += p.numel();
  }
  return out;
}

namespace {

bool is_lora(const std::string& param_name) {
  return param_name.find(".lora_A.") != std::string::npos || param_name.find(".lora_B.") != std::string::npos;
}

// Trainable base weights holding a folded LoRA delta, by tensor identity, with the delta (out, in) to take
// out. Frozen bases are skipped: they are not exported, and the product costs out * in per module.
std::unordered_map<const c10::TensorImpl*, torch::Tensor> merged_deltas(model::CausalLmImpl& model) {
  std::unordered_map<const c10::TensorImpl*, torch::Tensor> out;
  for (auto& [name, linear] : model.projections()) {
    if (!linear->merged() || !linear->weight().requires_grad()) continue;
    auto delta = torch::matmul(linear->lora_b(), linear->lora_a()) * linear->scaling();  // (out, R) @ (R, in)
    out.emplace(linear->weight().unsafeGetTensorImpl(), delta);
  }
  return out;
}

}  // namespace

int64_t set_layers_trainable(model::CausalLmImpl& model, const std::vector<int64_t>& layers, bool trainable) {
  const auto L = model.config().num_layers;
  const std::string expected = "Expected a non-empty array of layer indices in [0, " + std::to_string(L) + ") for layers";
  FSLLM_CHECK(!layers.empty(), ErrorCode::kInvalidArg, expected + " but received []; name the blocks to train, e.g. [" +
                                                           std::to_string(L - 1) + "]");
  for (auto layer : layers) {
    FSLLM_CHECK(layer >= 0 && layer < L, ErrorCode::kInvalidArg, expected + " but received " + list_text(layers));
  }
  FSLLM_CHECK(!any_merged(model), ErrorCode::kInvalidArg,
              "The adapter is merged into the base weights; call unmergeLora() before setLayersTrainable()");
  for (auto& [name, linear] : model.projections()) {
    const bool selected = std::count(layers.begin(), layers.end(), model::CausalLmImpl::layer_of(name)) > 0;
    FSLLM_CHECK(!(trainable && selected && linear->base_frozen()), ErrorCode::kUnsupported,
                "setLayersTrainable needs an fp32 base, but " + name + " is stored as " +
                    quant::base_dtype_name(linear->frozen_base().format) + "; load the model with baseDtype 'fp32' to train whole layers");
  }
  for (auto& item : model.named_parameters(/*recurse=*/true)) {
    const auto& name = item.key();
    if (is_lora(name) || std::count(layers.begin(), layers.end(), model::CausalLmImpl::layer_of(name)) == 0) continue;
    auto& p = item.value();
    p.set_requires_grad(trainable);
    if (!trainable) p.mutable_grad().reset();
  }
  model.bump_adapter_version();
  int64_t count = 0;
  for (auto& [name, p] : trainable_parameters(model)) count += p.numel();
  return count;
}

torch::Tensor export_flat(model::CausalLmImpl& model) {
  torch::NoGradGuard no_grad;
  const auto deltas = merged_deltas(model);
  std::vector<torch::Tensor> parts;
  for (auto& [name, p] : trainable_parameters(model)) {
    auto value = p.detach();
    const auto found = deltas.find(p.unsafeGetTensorImpl());
    if (found != deltas.end()) value = value - found->second.to(value.scalar_type());
    parts.push_back(value.reshape({-1}).to(torch::kCPU, torch::kFloat32));
  }
  if (parts.empty()) return torch::empty({0}, torch::kFloat32);
  return torch::cat(parts).contiguous();
}

namespace {

// Importing into a merged adapter would leave the old delta folded into the base weights: unmerge for
// the copy and merge the new values back, so the merged state is kept and the base stays intact.
class MergedScope {
 public:
  explicit MergedScope(model::CausalLmImpl& model) : model_(model), merged_(any_merged(model)) {
    if (merged_) merge_lora(model_, false);
  }
  ~MergedScope() {
    if (merged_) merge_lora(model_, true);
  }

 private:
  model::CausalLmImpl& model_;
  bool merged_;
};

}  // namespace

void import_flat(model::CausalLmImpl& model, const torch::Tensor& flat) {
  torch::NoGradGuard no_grad;
  model.bump_weights_version();  // first: a failed import may have written some tensors
  MergedScope merged(model);
  auto params = trainable_parameters(model);
  int64_t total = 0;
  for (auto& [name, p] : params) total += p.numel();
  FSLLM_CHECK(flat.numel() == total, ErrorCode::kInvalidArg,
              "Adapter buffer has " + std::to_string(flat.numel()) + " values but the model's trainable state has " +
                  std::to_string(total) + "; it was exported from a different LoRA configuration");
  int64_t offset = 0;
  for (auto& [name, p] : params) {
    p.copy_(flat.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
}

void import_named(model::CausalLmImpl& model, const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  torch::NoGradGuard no_grad;
  model.bump_weights_version();  // first: a failed import may have written some tensors
  MergedScope merged(model);
  std::unordered_map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  for (auto& [name, p] : trainable_parameters(model)) {
    auto key = peft_key(name);
    auto found = by_name.find(key);
    FSLLM_CHECK(found != by_name.end(), ErrorCode::kCheckpoint,
                "Adapter file has no tensor " + key + "; it was saved for other target modules or layers");
    FSLLM_CHECK(found->second.sizes() == p.sizes(), ErrorCode::kCheckpoint,
                "Adapter tensor " + key + " has a shape that does not match r and the module size");
    p.copy_(found->second);
    by_name.erase(found);
  }
  if (!by_name.empty()) {
    throw Error(ErrorCode::kCheckpoint, "Adapter file has tensor " + by_name.begin()->first +
                                            " that this model's LoRA configuration does not have");
  }
}

}  // namespace fsllm::peft
