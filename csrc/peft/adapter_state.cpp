// SPDX-License-Identifier: Apache-2.0
// Flat export/import of the trainable state; see adapter_state.h.
#include "peft/adapter_state.h"

#include <unordered_map>

#include "core/error.h"
#include "peft/inject.h"

namespace fsllm::peft {

std::string peft_key(const std::string& param_name) { return "base_model.model." + param_name; }

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

torch::Tensor export_flat(model::CausalLmImpl& model) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (auto& [name, p] : trainable_parameters(model)) parts.push_back(p.detach().reshape({-1}).to(torch::kCPU, torch::kFloat32));
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
