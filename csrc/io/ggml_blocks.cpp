// SPDX-License-Identifier: Apache-2.0
// ggml block decoders and encoders. Reference: ggml/src/ggml-quants.c dequantize_row_q8_0 / _q4_0 / _q4_1
// and quantize_row_*_ref (block layouts in ggml-common.h); scales are IEEE fp16.
#include "io/ggml_blocks.h"

#include <ATen/Parallel.h>
#include <c10/util/Half.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace fsllm::io {
namespace {

float half_at(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return c10::detail::fp16_ieee_to_fp32_value(bits);
}

// Q8_0: {fp16 d; int8 q[32]} -> x[i] = d * q[i].
void decode_q8_0(const uint8_t* block, float* out) {
  const float d = half_at(block);
  const auto* q = reinterpret_cast<const int8_t*>(block + 2);
  for (int i = 0; i < 32; ++i) out[i] = d * static_cast<float>(q[i]);
}

// Q4_0: {fp16 d; uint8 qs[16]}; x[i] is the low nibble of qs[i] and x[i + 16] its high nibble, each
// stored with an offset of 8: x = d * (q - 8).
void decode_q4_0(const uint8_t* block, float* out) {
  const float d = half_at(block);
  const uint8_t* qs = block + 2;
  for (int i = 0; i < 16; ++i) {
    out[i] = d * static_cast<float>((qs[i] & 0x0F) - 8);
    out[i + 16] = d * static_cast<float>((qs[i] >> 4) - 8);
  }
}

// Q4_1: {fp16 d; fp16 m; uint8 qs[16]}, nibbles as in Q4_0 without the offset: x = d * q + m.
void decode_q4_1(const uint8_t* block, float* out) {
  const float d = half_at(block);
  const float m = half_at(block + 2);
  const uint8_t* qs = block + 4;
  for (int i = 0; i < 16; ++i) {
    out[i] = d * static_cast<float>(qs[i] & 0x0F) + m;
    out[i + 16] = d * static_cast<float>(qs[i] >> 4) + m;
  }
}

void put_half(uint8_t* p, float value) {
  const uint16_t bits = c10::detail::fp16_ieee_from_fp32_value(value);
  std::memcpy(p, &bits, sizeof bits);
}

// The scales are stored as fp16: quantising against the rounded scale keeps decode(encode(x)) within half a
// step of x.
void encode_q8_0(const float* x, uint8_t* block) {
  float amax = 0.0f;
  for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
  put_half(block, amax / 127.0f);
  const float d = half_at(block);
  const float inv = d != 0.0f ? 1.0f / d : 0.0f;
  auto* q = reinterpret_cast<int8_t*>(block + 2);
  for (int i = 0; i < 32; ++i) q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(x[i] * inv), -127.0f, 127.0f));
}

void encode_q4_0(const float* x, uint8_t* block) {
  float extreme = 0.0f;  // the value of largest magnitude, with its sign: it maps to -8 exactly
  for (int i = 0; i < 32; ++i)
    if (std::fabs(x[i]) > std::fabs(extreme)) extreme = x[i];
  put_half(block, extreme / -8.0f);
  const float d = half_at(block);
  const float inv = d != 0.0f ? 1.0f / d : 0.0f;
  uint8_t* qs = block + 2;
  auto nibble = [&](float v) { return static_cast<uint8_t>(std::clamp(std::nearbyint(v * inv) + 8.0f, 0.0f, 15.0f)); };
  for (int i = 0; i < 16; ++i) qs[i] = static_cast<uint8_t>(nibble(x[i]) | (nibble(x[i + 16]) << 4));
}

void encode_q4_1(const float* x, uint8_t* block) {
  float lo = x[0], hi = x[0];
  for (int i = 1; i < 32; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  put_half(block, (hi - lo) / 15.0f);
  put_half(block + 2, lo);
  const float d = half_at(block), m = half_at(block + 2);
  const float inv = d != 0.0f ? 1.0f / d : 0.0f;
  uint8_t* qs = block + 4;
  auto nibble = [&](float v) { return static_cast<uint8_t>(std::clamp(std::nearbyint((v - m) * inv), 0.0f, 15.0f)); };
  for (int i = 0; i < 16; ++i) qs[i] = static_cast<uint8_t>(nibble(x[i]) | (nibble(x[i + 16]) << 4));
}

template <void (*DecodeBlock)(const uint8_t*, float*)>
void decode_blocks(const uint8_t* src, int64_t n_blocks, int64_t block_bytes, float* dst) {
  at::parallel_for(0, n_blocks, /*grain_size=*/2048, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) DecodeBlock(src + b * block_bytes, dst + b * kGgmlBlockValues);
  });
}

template <void (*EncodeBlock)(const float*, uint8_t*)>
void encode_blocks(const float* src, int64_t n_blocks, int64_t block_bytes, uint8_t* dst) {
  at::parallel_for(0, n_blocks, /*grain_size=*/2048, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) EncodeBlock(src + b * kGgmlBlockValues, dst + b * block_bytes);
  });
}

}  // namespace

int64_t ggml_block_bytes(GgmlBlock kind) {
  switch (kind) {
    case GgmlBlock::kQ8_0: return 2 + 32;
    case GgmlBlock::kQ4_0: return 2 + 16;
    case GgmlBlock::kQ4_1: return 2 + 2 + 16;
  }
  return 0;
}

void encode_ggml_blocks(GgmlBlock kind, const float* src, int64_t n_blocks, uint8_t* dst) {
  const int64_t bytes = ggml_block_bytes(kind);
  switch (kind) {
    case GgmlBlock::kQ8_0: encode_blocks<encode_q8_0>(src, n_blocks, bytes, dst); break;
    case GgmlBlock::kQ4_0: encode_blocks<encode_q4_0>(src, n_blocks, bytes, dst); break;
    case GgmlBlock::kQ4_1: encode_blocks<encode_q4_1>(src, n_blocks, bytes, dst); break;
  }
}

void decode_ggml_blocks(GgmlBlock kind, const uint8_t* src, int64_t n_blocks, int64_t block_bytes, float* dst) {
  switch (kind) {
    case GgmlBlock::kQ8_0: decode_blocks<decode_q8_0>(src, n_blocks, block_bytes, dst); break;
    case GgmlBlock::kQ4_0: decode_blocks<decode_q4_0>(src, n_blocks, block_bytes, dst); break;
    case GgmlBlock::kQ4_1: decode_blocks<decode_q4_1>(src, n_blocks, block_bytes, dst); break;
  }
}

}  // namespace fsllm::io
