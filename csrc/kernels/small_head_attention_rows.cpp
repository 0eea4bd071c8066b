// SPDX-License-Identifier: Apache-2.0
// See small_head_attention_rows.h. A forward row makes three passes over a buffer of t + 1 floats: scores
// (and their maximum), exponentials (and their sum), then the weighted sum of values. Backward takes blocks
// of rows: the gradient of a key is read and written once per block instead of once per row.
#include "kernels/small_head_attention_rows.h"

#include <algorithm>
#include <cmath>
#include <limits>

#ifdef FSLLM_AVX2_KERNELS

namespace fsllm::kernels::small_head {

namespace {

// Chunks of kLanes keys whose products run together: independent FMA chains hide the FMA latency.
constexpr int kGroup = 4;

// acc[i] = sum_d x[d] * m(d, s0 + 8i + lane) over d < hd: x against N chunks of a transposed head.
template <int N>
FSLLM_AVX2 inline void products(const float* x, const float* m, int64_t stride, int64_t hd, int64_t s0, __m256* acc) {
  for (int i = 0; i < N; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t d = 0; d < hd; ++d) {
    const __m256 xd = _mm256_set1_ps(x[d]);
    const float* col = m + d * stride + s0;
    for (int i = 0; i < N; ++i) acc[i] = _mm256_fmadd_ps(xd, _mm256_loadu_ps(col + kLanes * i), acc[i]);
  }
}

// The bias of keys [s0, s0 + 8), -inf past t: the row's bias may end inside the chunk holding t.
FSLLM_AVX2 inline __m256 chunk_bias(const Row& row, int64_t s0) {
  const int64_t n = row.t + 1 - s0;
  if (n >= kLanes) return _mm256_loadu_ps(row.bias + s0);
  const __m256i valid = first_lanes(n);
  return _mm256_blendv_ps(_mm256_set1_ps(-std::numeric_limits<float>::infinity()),
                          _mm256_maskload_ps(row.bias + s0, valid), _mm256_castsi256_ps(valid));
}

int64_t chunks_of(const Row& row) { return row.t / kLanes + 1; }

// Whether keys [s0, s0 + 8) of the row, clipped to [0, t], include a visible one.
FSLLM_AVX2 inline bool any_visible(const Row& row, int64_t s0) {
  const __m256 seen = _mm256_cmp_ps(chunk_bias(row, s0), _mm256_set1_ps(kMaskedBelow), _CMP_GT_OQ);
  return _mm256_movemask_ps(seen) != 0;
}

// p = the row's scores (-inf past t); returns their maximum.
template <int N>
FSLLM_AVX2 inline __m256 score_chunks(const Row& row, const HeadT& head, int64_t s0, float* p, __m256 most) {
  __m256 s[N];
  products<N>(row.q, head.k, head.stride, row.hd, s0, s);
  for (int i = 0; i < N; ++i) {
    s[i] = _mm256_add_ps(s[i], chunk_bias(row, s0 + kLanes * i));
    _mm256_storeu_ps(p + s0 + kLanes * i, s[i]);
    most = _mm256_max_ps(most, s[i]);
  }
  return most;
}

FSLLM_AVX2 float scores(const Row& row, const HeadT& head, float* p) {
  const int64_t chunks = chunks_of(row);
  __m256 most = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  int64_t c = row.first;
  for (; c + kGroup <= chunks; c += kGroup) most = score_chunks<kGroup>(row, head, c * kLanes, p, most);
  for (; c < chunks; ++c) most = score_chunks<1>(row, head, c * kLanes, p, most);
  return horizontal_max(most);
}

// p = e^(p - shift) over chunks [first, chunks); returns the sum.
FSLLM_AVX2 float exponentials(int64_t first, int64_t chunks, float shift, float* p) {
  const __m256 m = _mm256_set1_ps(shift);
  __m256 total = _mm256_setzero_ps();
  for (int64_t c = first; c < chunks; ++c) {
    const __m256 e = exp_lanes(_mm256_sub_ps(_mm256_loadu_ps(p + c * kLanes), m));
    _mm256_storeu_ps(p + c * kLanes, e);
    total = _mm256_add_ps(total, e);
  }
  return horizontal_sum(total);
}

// Stores lanes [0, n) of x (all 8 when n >= 8).
FSLLM_AVX2 inline void store_first(float* dst, __m256 x, int64_t n) {
  if (n >= kLanes) {
    _mm256_storeu_ps(dst, x);
  } else {
    _mm256_maskstore_ps(dst, first_lanes(n), x);
  }
}

}  // namespace

FSLLM_AVX2 int64_t first_visible_chunk(const Row& row) {
  const int64_t chunks = chunks_of(row);
  const __m256 limit = _mm256_set1_ps(kMaskedBelow);
  int64_t c = 0;
  // Four chunks a test while they are whole (before the one holding t): the scan costs little next to the row.
  for (; c + 4 < chunks; c += 4) {
    const float* b = row.bias + c * kLanes;
    const __m256 seen = _mm256_or_ps(_mm256_or_ps(_mm256_cmp_ps(_mm256_loadu_ps(b), limit, _CMP_GT_OQ),
                                                  _mm256_cmp_ps(_mm256_loadu_ps(b + 8), limit, _CMP_GT_OQ)),
                                     _mm256_or_ps(_mm256_cmp_ps(_mm256_loadu_ps(b + 16), limit, _CMP_GT_OQ),
                                                  _mm256_cmp_ps(_mm256_loadu_ps(b + 24), limit, _CMP_GT_OQ)));
    if (_mm256_movemask_ps(seen) != 0) break;
  }
  for (; c < chunks; ++c)
    if (any_visible(row, c * kLanes)) return c;
  return kNoVisibleKey;
}

FSLLM_AVX2 float forward_row(const Row& row, const HeadT& head, float* p, float* out) {
  const int64_t chunks = chunks_of(row);
  if (row.first >= chunks) {
    std::fill(out, out + row.hd, 0.0f);
    return std::numeric_limits<float>::infinity();
  }
  const float most = scores(row, head, p);
  const float total = exponentials(row.first, chunks, most, p);
  const __m256 inv = _mm256_set1_ps(1.0f / total);
  // Eight head dimensions per pass: one accumulator each, over the keys in the lanes.
  for (int64_t d0 = 0; d0 < row.hd; d0 += kLanes) {
    __m256 acc[kLanes];
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (int64_t c = row.first; c < chunks; ++c) {
      const __m256 pc = _mm256_loadu_ps(p + c * kLanes);
      const float* col = head.v + d0 * head.stride + c * kLanes;
      for (int j = 0; j < kLanes; ++j) acc[j] = _mm256_fmadd_ps(pc, _mm256_loadu_ps(col + j * head.stride), acc[j]);
    }
    store_first(out + d0, _mm256_mul_ps(horizontal_sums(acc), inv), row.hd - d0);
  }
  return most + std::log(total);
}

namespace {

// backward_rows for R rows. Pass 1, per chunk of keys: p = e^(score - lse) and dS = p (dP - go . out) with
// dP = go . v_s, for every row (2R independent FMA chains). Pass 2, per head dimension d: dV(d, s) += p_s go(d)
// and dK(d, s) += dS_s q(d) summed over the rows before one read-modify-write, dq(d) = scale sum_s dS_s k(d, s).
template <int R>
FSLLM_AVX2 void backward_block(const Row* rows, const RowGrad* g, float scale, const HeadT& head, const HeadGradT& grads,
                               float* p, float* ds) {
  const int64_t chunks = chunks_of(rows[R - 1]), hd = rows[0].hd, stride = head.stride;
  int64_t first = chunks;  // rows without a visible key (first = kNoVisibleKey) add nothing
  for (int r = 0; r < R; ++r) first = std::min(first, rows[r].first);
  for (int64_t c = first; c < chunks; ++c) {
    const int64_t s0 = c * kLanes;
    __m256 s[R], dp[R];
    for (int r = 0; r < R; ++r) s[r] = dp[r] = _mm256_setzero_ps();
    for (int64_t d = 0; d < hd; ++d) {
      const __m256 kd = _mm256_loadu_ps(head.k + d * stride + s0), vd = _mm256_loadu_ps(head.v + d * stride + s0);
      for (int r = 0; r < R; ++r) {
        s[r] = _mm256_fmadd_ps(_mm256_set1_ps(rows[r].q[d]), kd, s[r]);
        dp[r] = _mm256_fmadd_ps(_mm256_set1_ps(g[r].go[d]), vd, dp[r]);
      }
    }
    // A row shorter than the block's last sees -inf past its t (and one that starts later, hidden keys before
    // its first chunk), so its p and dS are 0 there; a row without a visible key has lse = +inf, so p = 0.
    for (int r = 0; r < R; ++r) {
      const __m256 e = exp_lanes(_mm256_sub_ps(_mm256_add_ps(s[r], chunk_bias(rows[r], s0)), _mm256_set1_ps(g[r].lse)));
      _mm256_storeu_ps(p + r * stride + s0, e);
      _mm256_storeu_ps(ds + r * stride + s0, _mm256_mul_ps(e, _mm256_sub_ps(dp[r], _mm256_set1_ps(g[r].go_dot_out))));
    }
  }
  for (int64_t d = 0; d < hd; ++d) {
    __m256 qd[R], god[R], acc[R];
    for (int r = 0; r < R; ++r) {
      qd[r] = _mm256_set1_ps(rows[r].q[d]);
      god[r] = _mm256_set1_ps(g[r].go[d]);
      acc[r] = _mm256_setzero_ps();
    }
    float* __restrict dv = grads.v + d * stride;
    float* __restrict dk = grads.k + d * stride;
    const float* __restrict kd = head.k + d * stride;
    for (int64_t s0 = first * kLanes; s0 < chunks * kLanes; s0 += kLanes) {
      __m256 v = _mm256_loadu_ps(dv + s0), k = _mm256_loadu_ps(dk + s0);
      const __m256 keys = _mm256_loadu_ps(kd + s0);
      for (int r = 0; r < R; ++r) {
        const __m256 dr = _mm256_loadu_ps(ds + r * stride + s0);
        v = _mm256_fmadd_ps(_mm256_loadu_ps(p + r * stride + s0), god[r], v);
        k = _mm256_fmadd_ps(dr, qd[r], k);
        acc[r] = _mm256_fmadd_ps(dr, keys, acc[r]);
      }
      _mm256_storeu_ps(dv + s0, v);
      _mm256_storeu_ps(dk + s0, k);
    }
    for (int r = 0; r < R; ++r) g[r].dq[d] = horizontal_sum(acc[r]) * scale;
  }
}

}  // namespace

FSLLM_AVX2 void backward_rows(const Row* rows, const RowGrad* row_grads, int count, float scale, const HeadT& head,
                              const HeadGradT& grads, float* p, float* ds) {
  static_assert(kRowBlock == 4, "one case per block size");
  switch (count) {
    case 4: return backward_block<4>(rows, row_grads, scale, head, grads, p, ds);
    case 3: return backward_block<3>(rows, row_grads, scale, head, grads, p, ds);
    case 2: return backward_block<2>(rows, row_grads, scale, head, grads, p, ds);
    default: return backward_block<1>(rows, row_grads, scale, head, grads, p, ds);
  }
}

}  // namespace fsllm::kernels::small_head

#endif
