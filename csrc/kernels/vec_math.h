// SPDX-License-Identifier: Apache-2.0
// Branch-free float math for the fused elementwise kernels, written so that GCC/Clang vectorise the loops
// that call it (libm's expf is a scalar call that blocks vectorisation).
#pragma once

#include <cstdint>
#include <cstring>

// Element loops get an AVX2 clone next to the baseline one, chosen when the library loads (GCC/Clang on
// x86-64; elsewhere the plain build only).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__INTEL_COMPILER)
#define FSLLM_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FSLLM_VECTOR_CLONES
#endif

namespace fsllm::kernels {

// e^x for x in float range, relative error < 2e-7: x = n ln2 + r with |r| <= ln2/2, e^r by its degree-6
// Taylor polynomial (truncation error r^7/7! < 1.3e-7), 2^n assembled in the exponent bits.
inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float t = x * 1.44269504f;
  const int32_t n = static_cast<int32_t>(t + (t >= 0.0f ? 0.5f : -0.5f));
  const float nf = static_cast<float>(n);
  const float r = (x - nf * 0.693145751953125f) - nf * 1.428606765330187e-06f;  // ln2 split for exact n*ln2_hi
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float sigmoid_approx(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

// A 32-bit integer hash with full avalanche (the MurmurHash3 finaliser), for counter-based random numbers.
inline uint32_t mix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

}  // namespace fsllm::kernels
