// SPDX-License-Identifier: Apache-2.0
// ggml's quantised block encodings (Q8_0, Q4_0, Q4_1) decoded to fp32: what the tensor loader uses to
// read GGUF files whose weights are stored quantised.
#pragma once

#include <cstdint>

namespace fsllm::io {

// Values per ggml Q8_0 / Q4_0 / Q4_1 block (ggml's QK8_0, QK4_0, QK4_1).
constexpr int64_t kGgmlBlockValues = 32;

enum class GgmlBlock { kQ8_0, kQ4_0, kQ4_1 };

// Decodes `n_blocks` consecutive blocks of `block_bytes` each from `src` into `n_blocks * 32` floats at
// `dst`, in parallel over blocks. The caller has checked that `src` holds that many bytes.
void decode_ggml_blocks(GgmlBlock kind, const uint8_t* src, int64_t n_blocks, int64_t block_bytes, float* dst);

}  // namespace fsllm::io
