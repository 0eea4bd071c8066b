// SPDX-License-Identifier: Apache-2.0
// Key/value cache for incremental decoding: per layer, keys and values of every past position, and the
// row/column surgery batched generation needs (keep some rows, repeat rows, drop leading padding).
#pragma once

#include <utility>
#include <vector>

namespace fsllm::model {

struct KvCache {
  struct Layer {
    torch::Tensor k;        // (B, Hkv, P, Hd): the first P positions of k_store when one is reserved
    torch::Tensor v;        // (B, Hkv, P, Hd)
    torch::Tensor k_store;  // (B, Hkv, capacity, Hd) or undefined
    torch::Tensor v_store;
  };
  std::vector<Layer> layers;
  // Leading positions that every row shares and no row drops (a prompt's virtual tokens): place_row puts
  // them first and right-aligns only the rest; select drops columns after them.
  int64_t fixed = 0;
  // When > 0, the most positions this cache will hold. The cache then keeps spare room, growing
  // geometrically up to this bound, so a decoded token is written in place instead of concatenated (which
  // copies the whole cache of every layer for every token). 0: concatenate, no spare room.
  int64_t max_length = 0;

  int64_t length() const { return layers.empty() || !layers[0].k.defined() ? 0 : layers[0].k.size(2); }

  // Appends this call's k, v (B, Hkv, T, Hd) to `layer` and returns the past + new tensors (B, Hkv, P+T, Hd).
  std::pair<torch::Tensor, torch::Tensor> append(size_t layer, const torch::Tensor& k, const torch::Tensor& v);

  // Writes `one` (a one-row cache of one.fixed + T positions, T <= width) into row `row` of this cache of
  // `rows` rows and one.fixed + `width` positions: its fixed positions first, its T others right-aligned, i.e.
  // left-padded; the first call allocates, padding positions stay zero.
  void place_row(int64_t row, int64_t rows, int64_t width, const KvCache& one);

  // Keeps rows `index` (B') of every layer in that order (a row may repeat, to fork it) and drops the `drop`
  // positions after the fixed ones (columns that no kept row attends to). Copies the kept rows once.
  void select(const torch::Tensor& index, int64_t drop);
};

// What every layer of one forward call shares: rotary tables, the additive attention mask, the cache.
struct ForwardContext {
  torch::Tensor cos;        // (B, 1, T, Hd) or undefined (GPT-2)
  torch::Tensor sin;        // (B, 1, T, Hd)
  torch::Tensor attn_bias;  // (B, 1, T, P+T): 0 where allowed, -inf where masked
  KvCache* cache = nullptr; // non-null while generating
  // Per layer, keys and values (B, Hkv, V, Hd) that go before this call's own: a prefix-tuned prompt's, on
  // a call that starts the sequence (later calls find them in the cache). Empty otherwise.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> prefix;
};

}  // namespace fsllm::model
