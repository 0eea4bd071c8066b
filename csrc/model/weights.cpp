// SPDX-License-Identifier: Apache-2.0
// Name/shape matching of checkpoint tensors to model parameters; see weights.h.
#include "model/weights.h"

#include <sstream>

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

LoadReport load_weights(CausalLmImpl& model, std::unordered_map<std::string, torch::Tensor>&& tensors) {
  torch::NoGradGuard no_grad;
  std::vector<std::string> missing;
  for (auto& item : model.named_parameters(/*recurse=*/true)) {
    const auto& name = item.key();
    if (is_lora_param(name)) continue;
    auto found = tensors.find(name);
    if (found == tensors.end()) {
      missing.push_back(name);
      continue;
    }
    auto& param = item.value();
    FSLLM_CHECK(found->second.sizes() == param.sizes(), ErrorCode::kCheckpoint,
                "Checkpoint tensor " + name + " has shape " + shape_str(found->second.sizes()) +
                    " but the model config expects " + shape_str(param.sizes()) +
                    "; the weights do not belong to this config.json");
    param.set_data(found->second.to(param.device(), param.scalar_type()).contiguous());
    tensors.erase(found);
  }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 8; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 8) list += ", ... (" + std::to_string(missing.size()) + " in all)";
    throw Error(ErrorCode::kCheckpoint, "Checkpoint is missing weights: " + list);
  }
  LoadReport report;
  for (auto& kv : tensors) {
    // A tied head saved anyway is expected, not a surprise.
    if (kv.first == "lm_head.weight" && model.config().tie_word_embeddings) continue;
    report.unexpected.push_back(kv.first);
  }
  return report;
}

}  // namespace fsllm::model
