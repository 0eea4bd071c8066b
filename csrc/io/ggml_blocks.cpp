// SPDX-License-Identifier: Apache-2.0
// ggml block decoders. reference: ggml/src/ggml-quants.c dequantize_row_q8_0 / _q4_0 / _q4_1 (block
// layouts in ggml-common.h); scales are IEEE fp16.
#include "io/ggml_blocks.h"

#include <ATen/Parallel.h>
#include <c10/util/Half.h>

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

template <void (*DecodeBlock)(const uint8_t*, float*)>
void decode_blocks(const uint8_t* src, int64_t n_blocks, int64_t block_bytes, float* dst) {
  at::parallel_for(0, n_blocks, /*grain_size=*/2048, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) DecodeBlock(src + b * block_bytes, dst + b * kGgmlBlockValues);
  });
}

}  // namespace

void decode_ggml_blocks(GgmlBlock kind, const uint8_t* src, int64_t n_blocks, int64_t block_bytes, float* dst) {
  switch (kind) {
    case GgmlBlock::kQ8_0: decode_blocks<decode_q8_0>(src, n_blocks, block_bytes, dst); break;
    case GgmlBlock::kQ4_0: decode_blocks<decode_q4_0>(src, n_blocks, block_bytes, dst); break;
    case GgmlBlock::kQ4_1: decode_blocks<decode_q4_1>(src, n_blocks, block_bytes, dst); break;
  }
}

}  // namespace fsllm::io
