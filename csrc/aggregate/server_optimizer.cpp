// SPDX-License-Identifier: Apache-2.0
#include "aggregate/server_optimizer.h"

#include <ATen/Parallel.h>

#include <cmath>

#include "core/error.h"

namespace fsllm::aggregate {

namespace {
constexpr int64_t kGrainValues = 1 << 14;
}

ServerOptimizer parse_server_optimizer(const std::string& name) {
  if (name == "fedavgm") return ServerOptimizer::kAvgM;
  if (name == "fedadagrad") return ServerOptimizer::kAdagrad;
  if (name == "fedadam") return ServerOptimizer::kAdam;
  if (name == "fedyogi") return ServerOptimizer::kYogi;
  throw Error(ErrorCode::kInvalidArg, "Unknown server optimizer \"" + name + "\" (use fedavgm, fedadagrad, fedadam or fedyogi)");
}

void server_step(ServerOptimizer type, const ServerOptimizerParams& p, float* global, const float* aggregate, float* m, float* v,
                 size_t n) {
  at::parallel_for(0, static_cast<int64_t>(n), kGrainValues, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float delta = aggregate[i] - global[i];
      if (type == ServerOptimizer::kAvgM) {
        m[i] = p.momentum * m[i] + delta;
        global[i] += p.lr * m[i];
        continue;
      }
      m[i] = p.beta1 * m[i] + (1 - p.beta1) * delta;
      const float d2 = delta * delta;
      if (type == ServerOptimizer::kAdagrad) {
        v[i] += d2;
      } else if (type == ServerOptimizer::kAdam) {
        v[i] = p.beta2 * v[i] + (1 - p.beta2) * d2;
      } else {
        const float diff = v[i] - d2;
        const float sign = diff > 0 ? 1.0f : (diff < 0 ? -1.0f : 0.0f);
        v[i] -= (1 - p.beta2) * d2 * sign;
      }
      global[i] += p.lr * m[i] / (std::sqrt(v[i]) + p.tau);
    }
  });
}

}  // namespace fsllm::aggregate
