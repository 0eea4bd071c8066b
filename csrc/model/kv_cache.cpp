// SPDX-License-Identifier: Apache-2.0
// KV cache growth and row selection; see kv_cache.h. A reserved store is written in place; views of its
// first P positions are what attention reads, so decoding a token copies only that token's keys and values.
#include "model/kv_cache.h"

#include <algorithm>

namespace fsllm::model {

namespace {

// A (B, Hkv, capacity, Hd) store holding `past` (may be undefined) then `next`.
torch::Tensor grown_store(const torch::Tensor& past, const torch::Tensor& next, int64_t capacity) {
  const int64_t P = past.defined() ? past.size(2) : 0, T = next.size(2);
  auto store = torch::empty({next.size(0), next.size(1), capacity, next.size(3)}, next.options());
  if (P > 0) store.narrow(/*dim=*/2, 0, P).copy_(past);
  store.narrow(/*dim=*/2, P, T).copy_(next);
  return store;
}

// Spare positions allocated at least, so short prompts do not regrow every few tokens.
constexpr int64_t kMinSpare = 64;

}  // namespace

std::pair<torch::Tensor, torch::Tensor> KvCache::append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  auto& slot = layers.at(layer);
  const int64_t P = slot.k.defined() ? slot.k.size(2) : 0, T = k.size(2);
  if (slot.k_store.defined() && P + T <= slot.k_store.size(2)) {
    slot.k_store.narrow(/*dim=*/2, P, T).copy_(k);
    slot.v_store.narrow(/*dim=*/2, P, T).copy_(v);
  } else if (max_length > 0) {
    // Doubling keeps the copies of regrowth linear in the final length overall.
    const int64_t capacity = std::max(P + T, std::min(max_length, std::max(2 * (P + T), P + T + kMinSpare)));
    slot.k_store = grown_store(slot.k, k, capacity);
    slot.v_store = grown_store(slot.v, v, capacity);
  } else {
    slot.k = P > 0 ? torch::cat({slot.k, k}, /*dim=*/2) : k;  // (B, Hkv, P+T, Hd)
    slot.v = P > 0 ? torch::cat({slot.v, v}, /*dim=*/2) : v;
    return {slot.k, slot.v};
  }
  slot.k = slot.k_store.narrow(/*dim=*/2, 0, P + T);  // views of the used positions
  slot.v = slot.v_store.narrow(/*dim=*/2, 0, P + T);
  return {slot.k, slot.v};
}

void KvCache::place_row(int64_t row, int64_t rows, int64_t width, const KvCache& one) {
  if (layers.empty()) layers.resize(one.layers.size());
  fixed = one.fixed;
  const int64_t F = one.fixed;
  width += F;
  const int64_t capacity = max_length > 0 ? std::max(width, std::min(max_length, std::max(2 * width, width + kMinSpare))) : width;
  for (size_t l = 0; l < layers.size(); ++l) {
    auto& slot = layers[l];
    const auto& k = one.layers.at(l).k;  // (1, Hkv, T, Hd)
    const auto& v = one.layers.at(l).v;
    if (!slot.k_store.defined()) {
      // Zeros, not garbage: padded keys are masked, but a NaN there would still poison probs @ V (0 * NaN).
      slot.k_store = torch::zeros({rows, k.size(1), capacity, k.size(3)}, k.options());
      slot.v_store = torch::zeros({rows, v.size(1), capacity, v.size(3)}, v.options());
      slot.k = slot.k_store.narrow(/*dim=*/2, 0, width);
      slot.v = slot.v_store.narrow(/*dim=*/2, 0, width);
    }
    if (F > 0) {
      slot.k_store[row].narrow(/*dim=*/1, 0, F).copy_(k[0].narrow(/*dim=*/1, 0, F));
      slot.v_store[row].narrow(/*dim=*/1, 0, F).copy_(v[0].narrow(/*dim=*/1, 0, F));
    }
    const int64_t T = k.size(2) - F;
    slot.k_store[row].narrow(/*dim=*/1, width - T, T).copy_(k[0].narrow(/*dim=*/1, F, T));  // (Hkv, T, Hd)
    slot.v_store[row].narrow(/*dim=*/1, width - T, T).copy_(v[0].narrow(/*dim=*/1, F, T));
  }
}

void KvCache::select(const torch::Tensor& index, int64_t drop) {
  for (auto& slot : layers) {
    if (!slot.k.defined()) continue;
    const int64_t used = slot.k.size(2) - drop;
    // With a store, its unused tail comes along so the kept rows can still grow in place.
    auto& k_src = slot.k_store.defined() ? slot.k_store : slot.k;
    auto& v_src = slot.v_store.defined() ? slot.v_store : slot.v;
    // The columns kept: the fixed ones, then those after the dropped ones.
    const auto kept = [&](const torch::Tensor& src) {
      if (drop == 0) return src;
      auto rest = src.narrow(/*dim=*/2, fixed + drop, src.size(2) - fixed - drop);
      return fixed > 0 ? torch::cat({src.narrow(/*dim=*/2, 0, fixed), rest}, /*dim=*/2) : rest;
    };
    auto k = kept(k_src).index_select(/*dim=*/0, index);  // (B', Hkv, C', Hd)
    auto v = kept(v_src).index_select(/*dim=*/0, index);
    if (slot.k_store.defined()) {
      slot.k_store = k;
      slot.v_store = v;
    }
    slot.k = k.narrow(/*dim=*/2, 0, used);
    slot.v = v.narrow(/*dim=*/2, 0, used);
  }
}

}  // namespace fsllm::model
