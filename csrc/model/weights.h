// SPDX-License-Identifier: Apache-2.0
// Puts decoded checkpoint tensors into a model's parameters by registered (= Hugging Face) name.
// Decoding and file access live in io/tensor_loader; this file only matches names and shapes.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "model/transformer.h"

namespace fsllm::model {

struct LoadReport {
  std::vector<std::string> unexpected;  // checkpoint keys the model has no parameter for
};

// Moves each tensor into the parameter of the same name (no copy when dtype and device already match).
// Every base parameter must be present (tied heads excepted); throws fsllm::Error(kCheckpoint) listing
// missing keys or the first shape mismatch. LoRA parameters are never taken from here.
LoadReport load_weights(CausalLmImpl& model, std::unordered_map<std::string, torch::Tensor>&& tensors);

}  // namespace fsllm::model
