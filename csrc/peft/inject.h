// SPDX-License-Identifier: Apache-2.0
// Chooses the projections that receive LoRA, by module name and layer, and attaches it.
// Which names exist is the model's business (CausalLmImpl::projections); this file only filters.
#pragma once

#include "model/transformer.h"
#include "peft/lora_config.h"

namespace fsllm::peft {

// Attaches LoRA to every projection whose last name component is in config.targets (and whose layer is
// in config.layers when given). Returns the qualified names adapted, in model order.
// Throws fsllm::Error(kInvalidArg) when a target matches nothing, naming the valid module names.
std::vector<std::string> inject_lora(model::CausalLmImpl& model, const LoraConfig& config);

// Removes every LoRA branch (unmerging first), leaving the base model as loaded.
void remove_lora(model::CausalLmImpl& model);

// Merge / unmerge every attached LoRA into its base weight.
void merge_lora(model::CausalLmImpl& model, bool merge);

// True when any LoRA branch is currently folded into its base weight.
bool any_merged(model::CausalLmImpl& model);

}  // namespace fsllm::peft
