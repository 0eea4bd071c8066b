// SPDX-License-Identifier: Apache-2.0
// Autoregressive decoding with a KV cache: greedy, or sampling with temperature, top-k and top-p from a
// seeded generator. Stop strings need the tokenizer, so they are TS policy: TS sets `stop` when it sees one.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include "amp/precision.h"
#include "model/transformer.h"

namespace fsllm::train {

struct GenerateOptions {
  int64_t max_new_tokens = 64;
  double temperature = 0.0;  // 0 = greedy
  int64_t top_k = 0;         // 0 = off
  double top_p = 1.0;        // 1 = off
  uint64_t seed = 0;
  std::vector<int64_t> eos_ids;
  amp::Precision precision = amp::Precision::kFp32;
};

// Returns the generated ids (without the prompt). `on_token` is called after each new token (on the
// calling thread); generation ends at max_new_tokens, an EOS id (included in the result), or `stop`.
std::vector<int64_t> generate(model::CausalLmImpl& model, const std::vector<int64_t>& prompt,
                              const GenerateOptions& options, const std::function<void(int64_t)>& on_token,
                              const std::atomic<bool>& stop);

// Picks the next token from fp32 logits (V) per options (exposed for tests).
int64_t sample_next(const torch::Tensor& logits, const GenerateOptions& options, at::Generator& generator);

}  // namespace fsllm::train
