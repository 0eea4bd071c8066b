// SPDX-License-Identifier: Apache-2.0
// Key/value cache for incremental decoding: per layer, keys and values of every past position.
#pragma once

#include <vector>

namespace fsllm::model {

struct KvCache {
  struct Layer {
    torch::Tensor k;  // (B, Hkv, P, Hd)
    torch::Tensor v;  // (B, Hkv, P, Hd)
  };
  std::vector<Layer> layers;

  int64_t length() const { return layers.empty() || !layers[0].k.defined() ? 0 : layers[0].k.size(2); }
};

// What every layer of one forward call shares: rotary tables, the additive attention mask, the cache.
struct ForwardContext {
  torch::Tensor cos;        // (B, 1, T, Hd) or undefined (GPT-2)
  torch::Tensor sin;        // (B, 1, T, Hd)
  torch::Tensor attn_bias;  // (B, 1, T, P+T): 0 where allowed, -inf where masked
  KvCache* cache = nullptr; // non-null while generating
};

}  // namespace fsllm::model
