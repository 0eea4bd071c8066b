// SPDX-License-Identifier: Apache-2.0
// Server optimisers of Reddi et al. 2021, "Adaptive Federated Optimization" (Algorithm 2), over flat fp32
// buffers. The pseudo-gradient is the round's change, delta = aggregate - global; then
//   FedAvgM:    m = momentum * m + delta                      global += lr * m
//   FedAdagrad: m = b1 * m + (1 - b1) * delta;  v = v + delta^2
//   FedAdam:    m = b1 * m + (1 - b1) * delta;  v = b2 * v + (1 - b2) * delta^2
//   FedYogi:    m = b1 * m + (1 - b1) * delta;  v = v - (1 - b2) * delta^2 * sign(v - delta^2)
//   (the three adaptive ones)                   global += lr * m / (sqrt(v) + tau)
// No bias correction, as the paper. v starts at tau^2 (the paper's v_{-1} >= tau^2), m at 0: the caller
// allocates both and keeps them across rounds.
#pragma once

#include <cstddef>
#include <string>

namespace fsllm::aggregate {

enum class ServerOptimizer { kAvgM, kAdagrad, kAdam, kYogi };

// "fedavgm" | "fedadagrad" | "fedadam" | "fedyogi"; anything else throws fsllm::Error(kInvalidArg).
ServerOptimizer parse_server_optimizer(const std::string& name);

struct ServerOptimizerParams {
  float lr = 1.0f;
  float momentum = 0.9f;
  float beta1 = 0.9f;
  float beta2 = 0.99f;
  float tau = 1e-9f;
};

// One server step in place on global[0..n); m and v are n values each (v unused by FedAvgM).
void server_step(ServerOptimizer type, const ServerOptimizerParams& p, float* global, const float* aggregate, float* m, float* v,
                 size_t n);

}  // namespace fsllm::aggregate
