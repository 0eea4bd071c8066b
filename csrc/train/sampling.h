// SPDX-License-Identifier: Apache-2.0
// Picking the next token from logits: greedy, or sampling with temperature, top-k and top-p from a seeded
// generator, and the per-row seeds that make a row's samples independent of what else shares its batch.
#pragma once

#include <cstdint>

namespace fsllm::train {

struct SamplingOptions {
  double temperature = 0.0;  // 0 = greedy
  int64_t top_k = 0;         // 0 = off
  double top_p = 1.0;        // 1 = off
};

// Picks the next token from fp32 logits (V) per options.
int64_t sample_next(const torch::Tensor& logits, const SamplingOptions& options, at::Generator& generator);

// The seed of the row that draws sample `sample` for prompt `prompt`: a function of those three numbers only,
// so a row samples the same text whatever batch it is in. (0, 0) keeps `seed` itself.
uint64_t row_seed(uint64_t seed, int64_t prompt, int64_t sample);

}  // namespace fsllm::train
