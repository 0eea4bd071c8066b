// SPDX-License-Identifier: Apache-2.0
// Name/shape matching of checkpoint tensors to model parameters; see weights.h.
#include "model/weights.h"

#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"

namespace fsllm::model {

namespace {

bool is_lora_param(const std::string& name) {
  return name.find(".lora_A.") != std::string::npos || name.find(".lora_B.") != std::string::npos;
}

std::string shape_str(at::IntArrayRef s) {
  std::ostringstream out;
  out << s;
  return out.str();
}

}  // namespace

LoadReport load_weights(CausalLmImpl& model, const std::vector<io::TensorSourceSpec>& specs, quant::BaseFormat base) {
  torch::NoGradGuard no_grad;
  std::unordered_map<std::string, torch::Tensor> params;
  for (auto& item : model.named_parameters(/*recurse=*/true)) {
    if (!is_lora_param(item.key())) params.emplace(item.key(), item.value());
  }
  // The projections stored below fp32, by the key of their weight.
  std::unordered_map<std::string, peft::LoraLinear> frozen;
  if (base != quant::BaseFormat::kFp32) {
    for (auto& [name, linear] : model.projections()) {
      if (CausalLmImpl::layer_of(name) >= 0) frozen.emplace(name + ".weight", linear);
    }
  }
  std::unordered_set<std::string> loaded;
  LoadReport report;
  io::visit_tensors(specs, [&](const io::TensorSourceSpec& spec, const uint8_t* bytes) {
    const auto& name = spec.name;
    auto param = params.find(name);
    if (param == params.end()) {
      // A tied head saved anyway is expected, not a surprise.
      if (!(name == "lm_head.weight" && model.config().tie_word_embeddings)) report.unexpected.push_back(name);
      return;
    }
    auto check_shape = [&](at::IntArrayRef shape) {
      FSLLM_CHECK(shape == param->second.sizes(), ErrorCode::kCheckpoint,
                  "Checkpoint tensor " + name + " has shape " + shape_str(shape) + " but the model config expects " +
                      shape_str(param->second.sizes()) + "; the weights do not belong to this config.json");
    };
    loaded.insert(name);
    auto target = frozen.find(name);
    io::GgmlBlock kind;
    if (target != frozen.end() && io::stored_ggml_block(spec.dtype, &kind) && quant::keeps_ggml_blocks(base, kind) &&
        spec.transform != io::Transform::kTranspose) {
      check_shape(spec.shape);
      target->second->freeze_base(quant::from_ggml_blocks(io::copy_block_rows(bytes, spec), kind, spec.shape[0], spec.shape[1]));
      return;
    }
    auto tensor = io::decode_tensor(bytes, spec, torch::kFloat32);
    check_shape(tensor.sizes());
    if (target != frozen.end()) {
      target->second->freeze_base(quant::freeze(tensor, base, name));
      return;
    }
    param->second.set_data(tensor.to(param->second.device(), param->second.scalar_type()).contiguous());
  });
  std::vector<std::string> missing;
  for (auto& item : model.named_parameters(/*recurse=*/true)) {
    if (params.count(item.key()) && !loaded.count(item.key())) missing.push_back(item.key());
  }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 8; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 8) list += ", ... (" + std::to_string(missing.size()) + " in all)";
    throw Error(ErrorCode::kCheckpoint, "Checkpoint is missing weights: " + list);
  }
  return report;
}

}  // namespace fsllm::model
