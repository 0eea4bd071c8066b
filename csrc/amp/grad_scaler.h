// SPDX-License-Identifier: Apache-2.0
// Dynamic loss scaling for fp16 (Micikevicius et al. 2018, "Mixed Precision Training"), with
// torch.cuda.amp.GradScaler's defaults: init 2^16, x2 after 2000 finite steps, x0.5 on overflow.
#pragma once

#include <vector>

namespace fsllm::amp {

struct GradScalerConfig {
  bool enabled = false;
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class GradScaler {
 public:
  explicit GradScaler(GradScalerConfig config = {});
  double scale() const { return config_.enabled ? scale_ : 1.0; }
  // Divides grads by the scale; returns false (and leaves the grads) when any is inf/NaN.
  bool unscale(const std::vector<torch::Tensor>& params) const;
  // Records the step's outcome: grows after `growth_interval` finite steps, backs off on overflow.
  void update(bool finite);

  // What evolves across steps: data-parallel ranks copy rank 0's so they scale and skip alike.
  struct State {
    double scale;
    int64_t good_steps;
  };
  State state() const { return {scale_, good_steps_}; }
  void restore(const State& state) {
    scale_ = state.scale;
    good_steps_ = state.good_steps;
  }

 private:
  GradScalerConfig config_;
  double scale_;
  int64_t good_steps_ = 0;
};

}  // namespace fsllm::amp
