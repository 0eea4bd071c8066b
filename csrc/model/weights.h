// SPDX-License-Identifier: Apache-2.0
// Puts checkpoint tensors into a model's parameters by registered (= Hugging Face) name, one tensor at a
// time as the files are read, storing the blocks' projections in the requested base format on the way.
// File access and decoding live in io/tensor_loader; this file matches names and shapes and picks the form.
#pragma once

#include <string>
#include <vector>

#include "io/tensor_loader.h"
#include "model/transformer.h"
#include "quant/frozen_weight.h"

namespace fsllm::model {

struct LoadReport {
  std::vector<std::string> unexpected;  // checkpoint keys the model has no parameter for
};

// Reads `specs` into `model`. With a base format other than fp32, every projection of the transformer blocks
// (attention and MLP; not the embeddings, norms or LM head) is stored in that format: ggml blocks that fit
// it are kept byte for byte, anything else is decoded to fp32 and encoded, one tensor at a time, so the
// model never holds more than one projection in fp32 while loading. Every base parameter must be present
// (tied heads excepted); throws fsllm::Error(kCheckpoint) listing missing keys or the first shape mismatch.
// LoRA parameters are never taken from here.
LoadReport load_weights(CausalLmImpl& model, const std::vector<io::TensorSourceSpec>& specs, quant::BaseFormat base);

}  // namespace fsllm::model
