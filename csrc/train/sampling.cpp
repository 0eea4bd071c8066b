// SPDX-License-Identifier: Apache-2.0
// Token selection; see sampling.h. Top-p keeps the smallest set of tokens whose probability mass reaches p
// (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration"), always keeping the best token.
#include "train/sampling.h"

#include <limits>

namespace fsllm::train {

int64_t sample_next(const torch::Tensor& logits, const SamplingOptions& o, at::Generator& generator) {
  if (o.temperature <= 0.0) return logits.argmax().item<int64_t>();
  auto scaled = logits / o.temperature;  // (V)
  if (o.top_k > 0 && o.top_k < scaled.size(0)) {
    auto kth = std::get<0>(scaled.topk(o.top_k)).min();
    scaled = scaled.masked_fill(scaled < kth, -std::numeric_limits<float>::infinity());
  }
  auto probs = torch::softmax(scaled, /*dim=*/-1);
  if (o.top_p < 1.0) {
    auto [sorted, order] = probs.sort(/*dim=*/-1, /*descending=*/true);
    auto mass_before = sorted.cumsum(/*dim=*/-1) - sorted;  // mass of strictly better tokens
    auto drop_sorted = mass_before >= o.top_p;
    auto drop = torch::zeros_like(drop_sorted).scatter(0, order, drop_sorted);
    probs = probs.masked_fill(drop, 0.0);
  }
  return torch::multinomial(probs, /*num_samples=*/1, /*replacement=*/false, generator).item<int64_t>();
}

// reference: MurmurHash3's 64-bit finalizer (fmix64, Appleby). It is a bijection with fmix64(0) = 0, so
// distinct (prompt, sample) pairs give distinct offsets and the first row keeps the request's seed. Mixing
// matters because ATen's CPU generator seeds mt19937 from the low 32 bits only: the offset must reach them.
uint64_t row_seed(uint64_t seed, int64_t prompt, int64_t sample) {
  uint64_t z = (static_cast<uint64_t>(prompt) << 32) ^ static_cast<uint64_t>(sample);
  z ^= z >> 33;
  z *= 0xff51afd7ed558ccdULL;
  z ^= z >> 33;
  z *= 0xc4ceb9fe1a85ec53ULL;
  z ^= z >> 33;
  return seed ^ z;
}

}  // namespace fsllm::train
