// SPDX-License-Identifier: Apache-2.0
// KV cache growth and row selection; see kv_cache.h. A reserved store is written in place; views of its
// first P positions are what attention reads, so decoding a token copies only that token's keys and values.
#include "model/kv_cache.h"

namespace fsllm::model {

namespace {

// A (B, Hkv, P + T + reserve, Hd) store holding `past` (may be undefined) then `next`.
torch::Tensor grown_store(const torch::Tensor& past, const torch::Tensor& next, int64_t reserve) {
  const int64_t P = past.defined() ? past.size(2) : 0, T = next.size(2);
  auto store = torch::empty({next.size(0), next.size(1), P + T + reserve, next.size(3)}, next.options());
  if (P > 0) store.narrow(/*dim=*/2, 0, P).copy_(past);
  store.narrow(/*dim=*/2, P, T).copy_(next);
  return store;
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> KvCache::append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  auto& slot = layers.at(layer);
  const int64_t P = slot.k.defined() ? slot.k.size(2) : 0, T = k.size(2);
  if (slot.k_store.defined() && P + T <= slot.k_store.size(2)) {
    slot.k_store.narrow(/*dim=*/2, P, T).copy_(k);
    slot.v_store.narrow(/*dim=*/2, P, T).copy_(v);
  } else if (reserve > 0) {
    slot.k_store = grown_store(slot.k, k, reserve);
    slot.v_store = grown_store(slot.v, v, reserve);
  } else {
    slot.k = P > 0 ? torch::cat({slot.k, k}, /*dim=*/2) : k;  // (B, Hkv, P+T, Hd)
    slot.v = P > 0 ? torch::cat({slot.v, v}, /*dim=*/2) : v;
    return {slot.k, slot.v};
  }
  slot.k = slot.k_store.narrow(/*dim=*/2, 0, P + T);  // views of the used positions
  slot.v = slot.v_store.narrow(/*dim=*/2, 0, P + T);
  return {slot.k, slot.v};
}

void KvCache::select(const torch::Tensor& index, int64_t drop) {
  for (auto& slot : layers) {
    if (!slot.k.defined()) continue;
    const int64_t used = slot.k.size(2) - drop;
    // With a store, its unused tail comes along so the kept rows can still grow in place.
    auto& k_src = slot.k_store.defined() ? slot.k_store : slot.k;
    auto& v_src = slot.v_store.defined() ? slot.v_store : slot.v;
    auto k = k_src.narrow(/*dim=*/2, drop, k_src.size(2) - drop).index_select(/*dim=*/0, index);  // (B', Hkv, C', Hd)
    auto v = v_src.narrow(/*dim=*/2, drop, v_src.size(2) - drop).index_select(/*dim=*/0, index);
    if (slot.k_store.defined()) {
      slot.k_store = k;
      slot.v_store = v;
    }
    slot.k = k.narrow(/*dim=*/2, 0, used);
    slot.v = v.narrow(/*dim=*/2, 0, used);
  }
}

}  // namespace fsllm::model
