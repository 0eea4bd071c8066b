// SPDX-License-Identifier: Apache-2.0
// LoRA injection by module name; see inject.h.
#include "peft/inject.h"

#include <algorithm>
#include <set>

#include "core/error.h"

namespace fsllm::peft {

namespace {

std::string last_component(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

}  // namespace

std::vector<std::string> inject_lora(model::CausalLmImpl& model, const LoraConfig& config) {
  FSLLM_CHECK(!config.targets.empty(), ErrorCode::kInvalidArg,
              "Expected at least one module name for lora.targets (e.g. [\"q_proj\", \"v_proj\"])");
  auto projections = model.projections();
  for (auto& [name, linear] : projections) {
    FSLLM_CHECK(!linear->has_lora(), ErrorCode::kInvalidArg,
                "An adapter is already attached (e.g. to " + name + "); call detachLora() before attaching another");
  }
  std::set<std::string> available;
  for (auto& [name, _] : projections) available.insert(last_component(name));
  for (auto& target : config.targets) {
    if (available.count(target)) continue;
    std::string names;
    for (auto& n : available) names += (names.empty() ? "" : ", ") + n;
    throw Error(ErrorCode::kInvalidArg,
                "lora.targets names \"" + target + "\", which this model does not have; valid names: " + names);
  }
  // Select first, attach after: a refused configuration leaves the model untouched.
  std::vector<std::pair<std::string, peft::LoraLinear>> selected;
  for (auto& [name, linear] : projections) {
    const auto& targets = config.targets;
    if (std::find(targets.begin(), targets.end(), last_component(name)) == targets.end()) continue;
    const auto layer = model::CausalLmImpl::layer_of(name);
    if (!config.layers.empty() && std::find(config.layers.begin(), config.layers.end(), layer) == config.layers.end()) continue;
    selected.emplace_back(name, linear);
  }
  FSLLM_CHECK(!selected.empty(), ErrorCode::kInvalidArg, "lora.layers selects no layer of this model");
  auto generator = at::make_generator<at::CPUGeneratorImpl>(config.seed);
  std::vector<std::string> adapted;
  for (auto& [name, linear] : selected) {
    linear->attach_lora(config, generator);
    adapted.push_back(name);
  }
  model.bump_adapter_version();
  return adapted;
}

void remove_lora(model::CausalLmImpl& model) {
  for (auto& [name, linear] : model.projections()) linear->detach_lora();
  model.bump_adapter_version();
}

void merge_lora(model::CausalLmImpl& model, bool merge) {
  for (auto& [name, linear] : model.projections()) {
    FSLLM_CHECK(!(merge && linear->has_lora() && linear->base_frozen()), ErrorCode::kUnsupported,
                "mergeLora needs an fp32 base, but " + name + " is stored as " + quant::base_dtype_name(linear->frozen_base().format) +
                    "; load the model with baseDtype 'fp32' to merge (or keep the adapter separate)");
  }
  for (auto& [name, linear] : model.projections()) merge ? linear->merge() : linear->unmerge();
}

bool any_merged(model::CausalLmImpl& model) {
  for (auto& [name, linear] : model.projections()) {
    if (linear->merged()) return true;
  }
  return false;
}

}  // namespace fsllm::peft
