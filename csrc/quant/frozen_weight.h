// SPDX-License-Identifier: Apache-2.0
// A frozen base weight stored below fp32: bf16 or fp16 as they are, int8 and 4-bit as ggml blocks of 32
// values along each row (Q8_0: an fp16 scale per block; Q4_0: an fp16 scale, values offset by 8; Q4_1: an
// fp16 scale and minimum). GGUF tensors in those encodings are kept byte for byte; dense weights are encoded
// on load. A product reads the weight a tile of rows at a time (frozen_linear), so at most one tile is ever
// held in fp32.
#pragma once

#include <torch/types.h>

#include <string>

#include "io/ggml_blocks.h"

namespace fsllm::quant {

// How the base is stored: what Model.load's baseDtype names (q4 is Q4_0, or Q4_1 kept from a GGUF).
enum class BaseFormat { kFp32, kBf16, kFp16, kQ8_0, kQ4_0, kQ4_1 };

// "fp32" | "bf16" | "fp16" | "int8" | "q4" -> the format dense weights are encoded to (int8 -> Q8_0, q4 ->
// Q4_0). Throws fsllm::Error kInvalidArg naming baseDtype otherwise.
BaseFormat parse_base_dtype(const std::string& name);
// The option's name back ("q4" for both 4-bit formats).
const char* base_dtype_name(BaseFormat format);
// Whether a GGUF tensor of this ggml block kind may be kept as it is for the requested format: Q8_0 for
// int8, Q4_0 and Q4_1 for q4.
bool keeps_ggml_blocks(BaseFormat requested, io::GgmlBlock stored);

struct FrozenWeight {
  BaseFormat format = BaseFormat::kFp32;
  int64_t out = 0;
  int64_t in = 0;
  // bf16/fp16: (out, in) of that dtype. Blocks: uint8 (out, blocks_per_row() * block bytes), row r's blocks at
  // row r; a row whose length is not a multiple of 32 ends in a block padded with zeros.
  torch::Tensor data;

  int64_t blocks_per_row() const { return (in + io::kGgmlBlockValues - 1) / io::kGgmlBlockValues; }

  int64_t bytes() const { return data.numel() * static_cast<int64_t>(data.element_size()); }
  // Rows [begin, end) as fp32 into `dst`, a contiguous (end - begin, in) tensor on the weight's device.
  void dequantize_rows(int64_t begin, int64_t end, torch::Tensor& dst) const;
  // The whole weight in fp32 (tests and exports only: this is the copy products avoid).
  torch::Tensor dequantize() const;
};

// Encodes a dense (out, in) weight (`what` names it in errors).
FrozenWeight freeze(const torch::Tensor& dense, BaseFormat format, const std::string& what);

// Wraps ggml blocks read from a file: `blocks` is uint8 (out, in / 32 * block bytes) in `kind`, in % 32 == 0.
FrozenWeight from_ggml_blocks(torch::Tensor blocks, io::GgmlBlock kind, int64_t out, int64_t in);

}  // namespace fsllm::quant
