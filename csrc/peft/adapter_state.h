// SPDX-License-Identifier: Apache-2.0
// The trainable state of a model as one flat fp32 buffer plus a manifest of PEFT-named slices. This is
// what crosses to JS (aggregation, transport, files); the layout is the trainable parameters in
// registration order, each flattened row-major.
#pragma once

#include <string>
#include <vector>

#include "model/transformer.h"

namespace fsllm::peft {

struct ManifestEntry {
  std::string name;            // PEFT key, e.g. base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight
  std::vector<int64_t> shape;
  int64_t offset = 0;          // in elements
};

// PEFT key of a model parameter name ("model.layers.0.self_attn.q_proj.lora_A.weight" ->
// "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"; a prompt encoder's
// "prompt_encoder.embedding.weight" stays as it is, PEFT's name without the adapter name).
std::string peft_key(const std::string& param_name);

// Parameters that require grad (LoRA factors, and base weights of layers made trainable by
// set_layers_trainable), with their registered names, in registration order. This order is the
// flat layout: export_flat, import_flat, manifest and TrainSession::set_proximal_anchor all follow it.
std::vector<std::pair<std::string, torch::Tensor>> trainable_parameters(model::CausalLmImpl& model);

std::vector<ManifestEntry> manifest(model::CausalLmImpl& model);

// A new contiguous fp32 CPU tensor holding every trainable parameter (an owned snapshot). A trainable base
// weight of a merged LoRA module is exported without the folded delta (as import_* writes it back).
torch::Tensor export_flat(model::CausalLmImpl& model);

// Makes every non-LoRA parameter of the blocks `layers` (CausalLmImpl::layer_of: attention and MLP
// projections' weight/bias, the block's norms) trainable (requires_grad) or frozen again, FedOT's "full
// adapter layers"; LoRA tensors are untouched, freezing drops the stale grads. Bumps adapter_version()
// so sessions bound to the old set report that they are stale. Returns the number of trainable elements
// afterwards. Throws fsllm::Error(kInvalidArg) naming `layers` for an empty list or an index outside
// [0, L), and when a LoRA branch is merged (its delta is folded into the weights being unfrozen).
int64_t set_layers_trainable(model::CausalLmImpl& model, const std::vector<int64_t>& layers, bool trainable);

// Copies `flat` (same layout as export_flat, fp32) into the trainable parameters.
// Throws fsllm::Error(kInvalidArg) when the element count differs.
void import_flat(model::CausalLmImpl& model, const torch::Tensor& flat);

// Copies named tensors (PEFT keys) into the matching trainable parameters; every trainable parameter
// must be given exactly once with its shape, else fsllm::Error(kCheckpoint) naming the key.
void import_named(model::CausalLmImpl& model, const std::vector<std::pair<std::string, torch::Tensor>>& tensors);

}  // namespace fsllm::peft
