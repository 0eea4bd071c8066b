// SPDX-License-Identifier: Apache-2.0
// Wire codecs for flat fp32 adapter buffers: fp16 / bf16 casts (round to nearest even) and symmetric
// per-group int8 / int4 quantisation. Pure loops over host memory; no N-API, no tensors.
//
// Byte layout of one encoded run of n values (little-endian):
//   fp32: n × f32 (a copy)            fp16 / bf16: n × u16
//   int8: ceil(n/g) × fp16 scale, then n × i8
//   int4: ceil(n/g) × fp16 scale, then ceil(n/2) bytes; value 2k in the low nibble, 2k+1 in the high
//         nibble, each a two's-complement 4-bit integer in [-7, 7]; an odd n leaves the last high nibble 0.
// Group scale s = max|x| / (2^(b-1) - 1), rounded *up* to the next fp16 so that |x|/s <= 2^(b-1) - 1 and the
// decoding error is at most s/2 for the stored s. q = clamp(round_half_even(x / s), -(2^(b-1)-1), 2^(b-1)-1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fsllm::comm {

enum class Codec { kFp32, kFp16, kBf16, kInt8, kInt4 };

// "fp32" | "fp16" | "bf16" | "int8" | "int4"; anything else throws fsllm::Error(kInvalidArg).
Codec parse_codec(const std::string& name);
const char* codec_name(Codec codec);

// Bytes of `n` values under `codec` with groups of `group` values (group is ignored by fp32/fp16/bf16).
size_t encoded_bytes(Codec codec, size_t n, size_t group);

// Encodes x[0..n) into out[0..encoded_bytes). With `residual` (error feedback), encodes x + residual and
// overwrites residual with (x + residual) - decode(out). Throws kInvalidArg on non-finite input or a value
// the format cannot hold (fp16 overflow, an fp16 group scale above 65504).
void encode(Codec codec, const float* x, size_t n, size_t group, uint8_t* out, float* residual);

// Decodes encoded_bytes(codec, n, group) bytes into out[0..n).
void decode(Codec codec, const uint8_t* in, size_t n, size_t group, float* out);

}  // namespace fsllm::comm
