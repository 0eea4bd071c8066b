// SPDX-License-Identifier: Apache-2.0
// LoRA hyper-parameters (POD, parsed from JS once). Scaling follows PEFT: alpha / r, or alpha / sqrt(r)
// with rsLoRA (Kalajdzievski 2023, "A Rank Stabilization Scaling Factor for Fine-Tuning with LoRA").
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace fsllm::peft {

struct LoraConfig {
  int64_t r = 8;
  double alpha = 16.0;
  double dropout = 0.0;
  bool rslora = false;
  // Module names (last path component, e.g. "q_proj", "c_attn") that receive LoRA.
  std::vector<std::string> targets;
  // Layer indices to adapt; empty = all layers.
  std::vector<int64_t> layers;
  // Seed of the A initialisation (B starts at zero, so the adapter starts as the identity).
  uint64_t seed = 0;

  double scaling() const { return rslora ? alpha / std::sqrt(static_cast<double>(r)) : alpha / r; }
};

}  // namespace fsllm::peft
