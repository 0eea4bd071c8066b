// SPDX-License-Identifier: Apache-2.0
// See decode_attention.h.
#include "kernels/decode_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "kernels/avx2.h"

namespace fsllm::kernels {

namespace {

// Head dimensions are walked in chunks of this many floats: 8 AVX2 accumulators for the weighted sum of V.
constexpr int64_t kChunk = 64;

// Rows of a (B, Hkv, S, Hd) tensor: the start of (b, h) and the step between positions.
struct Rows {
  const float* base;
  int64_t s0, s1, s2;
  const float* at(int64_t b, int64_t h) const { return base + b * s0 + h * s1; }
};

#ifdef FSLLM_AVX2_KERNELS

FSLLM_AVX2 float dot(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  if (i < n) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);  // n % 16 == 8
  return horizontal_sum(_mm256_add_ps(acc0, acc1));
}

// out[d0 : d0 + width] = sum_s p[s] v[s][d0 : d0 + width] / total, for width <= kChunk, a multiple of 8.
FSLLM_AVX2 void weighted_rows(const float* p, const float* v, int64_t v_step, int64_t keys, int64_t width,
                              float total, float* out) {
  constexpr int kVecs = kChunk / 8;
  __m256 acc[kVecs];
  const int vecs = static_cast<int>(width / 8);
  for (int c = 0; c < kVecs; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t s = 0; s < keys; ++s) {
    if (p[s] == 0.0f) continue;
    const __m256 ps = _mm256_set1_ps(p[s]);
    const float* row = v + s * v_step;
    for (int c = 0; c < kVecs; ++c)
      if (c < vecs) acc[c] = _mm256_fmadd_ps(ps, _mm256_loadu_ps(row + 8 * c), acc[c]);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / total);
  for (int c = 0; c < vecs; ++c) _mm256_storeu_ps(out + 8 * c, _mm256_mul_ps(acc[c], inv));
}

// One query row against S keys: scores in `scratch`, the result in out (Hd floats).
FSLLM_AVX2 void attend_row(const float* q, const float* k, int64_t k_step, const float* v, int64_t v_step, const float* bias,
                int64_t bias_step, int64_t keys, int64_t hd, float scale, float* scratch, float* out) {
  constexpr float kMasked = -std::numeric_limits<float>::infinity();
  float most = kMasked;
  for (int64_t s = 0; s < keys; ++s) {
    const float b = bias[s * bias_step];
    const float score = b == kMasked ? kMasked : dot(q, k + s * k_step, hd) * scale + b;
    scratch[s] = score;
    if (score > most) most = score;
  }
  if (most == kMasked) {  // every key masked: no row the model generates for, so nothing to read
    std::fill(out, out + hd, 0.0f);
    return;
  }
  float total = 0.0f;
  for (int64_t s = 0; s < keys; ++s) {
    const float e = scratch[s] == kMasked ? 0.0f : std::exp(scratch[s] - most);
    scratch[s] = e;
    total += e;
  }
  for (int64_t d0 = 0; d0 < hd; d0 += kChunk)
    weighted_rows(scratch, v + d0, v_step, keys, std::min(kChunk, hd - d0), total, out + d0);
}

#endif

bool no_grad_needed(std::initializer_list<const torch::Tensor*> tensors) {
  if (!torch::GradMode::is_enabled()) return true;
  for (const auto* t : tensors)
    if (t->requires_grad()) return false;
  return true;
}

}  // namespace

bool decode_attention_applies(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& bias) {
  if (!cpu_has_avx2_fma() || q.dim() != 4 || k.dim() != 4 || v.dim() != 4 || bias.dim() != 4) return false;
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), Hd = q.size(3), Hkv = k.size(1), S = k.size(2);
  for (const auto* t : {&q, &k, &v, &bias})
    if (t->scalar_type() != torch::kFloat32 || !t->device().is_cpu()) return false;
  return T <= kDecodeQueriesMax && Hd % 8 == 0 && Hkv > 0 && H % Hkv == 0 && k.size(0) == B && k.size(3) == Hd &&
         v.sizes() == k.sizes() && bias.size(0) == B && bias.size(1) == 1 && bias.size(2) == T && bias.size(3) == S &&
         q.stride(3) == 1 && k.stride(3) == 1 && v.stride(3) == 1 && no_grad_needed({&q, &k, &v, &bias});
}

torch::Tensor decode_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& bias, float scale) {
  FSLLM_CHECK(decode_attention_applies(q, k, v, bias), ErrorCode::kInvalidArg,
              "decode_attention: inputs outside the kernel's shapes (see decode_attention_applies)");
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), Hd = q.size(3), Hkv = k.size(1), S = k.size(2);
  const int64_t G = H / Hkv;
  auto out = torch::empty({B, T, H * Hd}, q.options());
#ifdef FSLLM_AVX2_KERNELS
  const Rows keys{k.data_ptr<float>(), k.stride(0), k.stride(1), k.stride(2)};
  const Rows values{v.data_ptr<float>(), v.stride(0), v.stride(1), v.stride(2)};
  const float* qp = q.data_ptr<float>();
  const float* bp = bias.data_ptr<float>();
  float* op = out.data_ptr<float>();
  at::parallel_for(0, B * Hkv, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(S));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / Hkv, kv = task % Hkv;
      for (int64_t t = 0; t < T; ++t) {
        const float* bias_row = bp + b * bias.stride(0) + t * bias.stride(2);
        for (int64_t g = 0; g < G; ++g) {
          const int64_t h = kv * G + g;
          attend_row(qp + b * q.stride(0) + h * q.stride(1) + t * q.stride(2), keys.at(b, kv), keys.s2, values.at(b, kv),
                     values.s2, bias_row, bias.stride(3), S, Hd, scale, scratch.data(), op + ((b * T + t) * H + h) * Hd);
        }
      }
    }
  });
#endif
  return out;
}

}  // namespace fsllm::kernels
