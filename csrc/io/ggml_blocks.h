// SPDX-License-Identifier: Apache-2.0
// ggml's quantised block encodings (Q8_0, Q4_0, Q4_1): decoded to fp32 where GGUF weights are read as
// floats, encoded from fp32 where a frozen base is stored quantised (quant/frozen_weight).
#pragma once

#include <cstdint>

namespace fsllm::io {

// Values per ggml Q8_0 / Q4_0 / Q4_1 block (ggml's QK8_0, QK4_0, QK4_1).
constexpr int64_t kGgmlBlockValues = 32;

enum class GgmlBlock { kQ8_0, kQ4_0, kQ4_1 };

// Decodes `n_blocks` consecutive blocks of `block_bytes` each from `src` into `n_blocks * 32` floats at
// `dst`, in parallel over blocks. The caller has checked that `src` holds that many bytes.
void decode_ggml_blocks(GgmlBlock kind, const uint8_t* src, int64_t n_blocks, int64_t block_bytes, float* dst);

// Bytes of one block: Q8_0 34, Q4_0 18, Q4_1 20.
int64_t ggml_block_bytes(GgmlBlock kind);

// Encodes `n_blocks * 32` floats at `src` into blocks at `dst` (ggml's reference quantisers: Q8_0 scales by
// max|x| / 127 and rounds; Q4_0 scales by the value of largest magnitude / -8, offset 8; Q4_1 spans
// [min, max] in 15 steps), in parallel over blocks. Decoding the result gives each value to within half a
// step of its block.
void encode_ggml_blocks(GgmlBlock kind, const float* src, int64_t n_blocks, uint8_t* dst);

}  // namespace fsllm::io
