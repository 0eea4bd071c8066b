// SPDX-License-Identifier: Apache-2.0
// The per-row AVX2 work of small_head_attention (see small_head_attention.h), internal to that kernel. One
// KV head's keys and values are held transposed, (Hdp, stride): lane j of a vector is key s0 + j, so Hd FMAs
// give the scores of 8 keys with no horizontal sum. The row functions exist only where FSLLM_AVX2_KERNELS does.
#pragma once

#include <cstdint>

#include "kernels/avx2.h"

namespace fsllm::kernels::small_head {

// Keys a row is walked in per vector.
constexpr int64_t kLanes = 8;

// One KV head transposed: element (d, s) at d * stride + s. Rows d >= Hd and columns s >= T are zero;
// stride (>= T) and the row count Hdp (>= Hd) are multiples of kLanes.
struct HeadT {
  const float* k;
  const float* v;
  int64_t stride;
};

// d(loss)/d(k) and d(loss)/d(v) of one KV head, laid out as HeadT.
struct HeadGradT {
  float* k;
  float* v;
};

// A bias at or below this hides its key (the model masks with the lowest float).
constexpr float kMaskedBelow = -1e30f;

// One query row of a head.
struct Row {
  const float* q;     // q * scale, Hd floats
  const float* bias;  // the row's additive bias over keys, at least t + 1 floats
  int64_t t;          // sees keys [0, t]
  int64_t hd;         // Hd
  int64_t first = 0;  // chunks of keys before this one are skipped: all their keys are hidden
};

// Row::first of a row that sees no key (padding): it is skipped, its output is 0 and its gradient nothing.
constexpr int64_t kNoVisibleKey = INT64_MAX;

#ifdef FSLLM_AVX2_KERNELS

// The first chunk of kLanes keys in which the row sees a key, or kNoVisibleKey. Packed rows see only their own
// segment, whose start this finds.
FSLLM_AVX2 int64_t first_visible_chunk(const Row& row);

// Writes out[0, Hd) and returns the log-sum-exp of the row's scores; a row without a visible key gets zeros
// and +inf, which makes its probabilities in backward_rows e^-inf = 0. p: scratch of `stride` floats.
FSLLM_AVX2 float forward_row(const Row& row, const HeadT& head, float* p, float* out);

// Query rows a backward call takes together: they share each key's loads and its gradient updates.
constexpr int kRowBlock = 4;

// What backward needs of a row besides its Row: go = d(loss)/d(out row) (Hd floats), go . out, forward's
// log-sum-exp, and where d(loss)/d(q) (Hd floats, for the unscaled q) goes.
struct RowGrad {
  const float* go;
  float go_dot_out;
  float lse;
  float* dq;
};

// The backward pass of `count` (1 to kRowBlock) rows of one head with increasing t: adds their share to
// `grads` and writes each dq. p, ds: scratch of kRowBlock * stride floats each.
FSLLM_AVX2 void backward_rows(const Row* rows, const RowGrad* row_grads, int count, float scale, const HeadT& head,
                              const HeadGradT& grads, float* p, float* ds);

#endif

}  // namespace fsllm::kernels::small_head
