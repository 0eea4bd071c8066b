// SPDX-License-Identifier: Apache-2.0
// What the hand-vectorised kernels (linear, decode attention) share: their target attribute, the check that
// this CPU runs them, and a horizontal sum. Elsewhere than x86-64 GCC/Clang FSLLM_AVX2_KERNELS is undefined
// and callers take their libtorch path.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define FSLLM_AVX2_KERNELS 1
#define FSLLM_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace fsllm::kernels {

// Whether this CPU has AVX2 and FMA (false where the kernels are not compiled).
inline bool cpu_has_avx2_fma() {
#ifdef FSLLM_AVX2_KERNELS
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
#else
  return false;
#endif
}

#ifdef FSLLM_AVX2_KERNELS
FSLLM_AVX2 inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#endif

}  // namespace fsllm::kernels
