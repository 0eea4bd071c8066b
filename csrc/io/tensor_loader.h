// SPDX-License-Identifier: Apache-2.0
// The native half of checkpoint loading: maps checkpoint files read-only and decodes the tensors that the
// TS parsers (lib/formats/) located into owned CPU tensors in Hugging Face layout. It parses no file
// header and knows no file format, only per-tensor encodings (IEEE floats, ggml blocks) and two layout
// transforms; lib/formats/types.ts is the TS twin of TensorSourceSpec.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/ggml_blocks.h"

namespace fsllm::io {

// How a tensor's bytes are encoded, little-endian. Block types follow ggml: 32 values per block, blocks
// run along the innermost (last) dimension.
enum class StoredDType { kF32, kF16, kBF16, kF64, kI32, kI64, kQ8_0, kQ4_0, kQ4_1 };

// A layout fix applied after decoding:
// - kTranspose: a 2-D [in, out] matrix (GPT-2 Conv1D) becomes [out, in];
// - kUnpermuteRope: rows stored per head as interleaved RoPE pairs (llama2.c, GGUF LLaMA q/k) are put in
//   Hugging Face's rotate-half order; see unpermute_rope().
enum class Transform { kNone, kTranspose, kUnpermuteRope };

// One tensor in one file. Invariant checked by load_tensors(): byte_length == stored_byte_length(dtype,
// shape) and [offset, offset + byte_length) lies inside the file.
struct TensorSourceSpec {
  std::string name;              // Hugging Face key; the key of load_tensors()'s result
  std::string file;              // path of the file holding the bytes
  int64_t offset = 0;            // first byte in `file`
  int64_t byte_length = 0;       // bytes stored (whole blocks for block types)
  StoredDType dtype = StoredDType::kF32;
  std::vector<int64_t> shape;    // logical shape before `transform`, row-major, outermost first
  Transform transform = Transform::kNone;
  int64_t heads = 0;             // kUnpermuteRope only: head count of this projection
};

// Decodes each tensor into a new contiguous CPU tensor, applying its transform. Float encodings
// (f32/f16/bf16/f64 and the ggml blocks) become `target`, which must be a float type; i32/i64 keep their
// integer type. Files are memory-mapped once each (read-only) and unmapped before returning; no result
// aliases a mapping.
// Throws fsllm::Error: kInvalidArg for a non-float target or a duplicate name; kCheckpoint (naming the
// tensor and file) for a missing file, out-of-file bytes, or a byte length, shape or transform that
// disagree.
std::unordered_map<std::string, torch::Tensor> load_tensors(const std::vector<TensorSourceSpec>& specs,
                                                            torch::ScalarType target);

// The same validation and file mapping as load_tensors, but hands each tensor's stored bytes to `visit`
// (spec, bytes: spec.byte_length of them) instead of decoding it, so a caller can keep one decoded tensor at
// a time, or none (ggml blocks kept as they are). `bytes` is valid only during the call.
void visit_tensors(const std::vector<TensorSourceSpec>& specs,
                   const std::function<void(const TensorSourceSpec&, const uint8_t*)>& visit);

// A ggml block tensor's bytes as a uint8 (rows, row bytes) tensor with spec's transform applied to its rows
// (kUnpermuteRope permutes whole rows, so blocks stay intact). Throws kCheckpoint for a non-block dtype, a
// transpose (it would cut through blocks) or a tensor that is not 2-D.
torch::Tensor copy_block_rows(const uint8_t* bytes, const TensorSourceSpec& spec);

// Whether spec's dtype is one of ggml's blocks; which one in `kind`.
bool stored_ggml_block(StoredDType dtype, GgmlBlock* kind);

// "f32", "f16", "bf16", "f64", "i32", "i64", "q8_0", "q4_0", "q4_1" -> enum; anything else throws
// fsllm::Error kInvalidArg.
StoredDType parse_stored_dtype(const std::string& name);

// Bytes that `shape` occupies as `dtype`; block types need the last dimension to be a multiple of 32
// (throws fsllm::Error kCheckpoint otherwise).
int64_t stored_byte_length(StoredDType dtype, const std::vector<int64_t>& shape);

// Decodes one tensor from `bytes`, which must hold spec.byte_length bytes (spec.file and spec.offset are
// only used in messages). The result owns its memory. Throws as load_tensors() for a spec whose size,
// shape or transform disagree.
torch::Tensor decode_tensor(const uint8_t* bytes, const TensorSourceSpec& spec, torch::ScalarType target);

// Interleaved -> rotate-half, per head: stored row 2j + a (pair j, component a) becomes row a*(Hd/2) + j.
// `w` is (heads*Hd, in) or (heads*Hd); returns a contiguous tensor of the same shape. This is the inverse
// of llama.cpp convert_hf_to_gguf's `permute` and llama2.c export's `permute_reverse`, and equals
// transformers' convert_llama_weights_to_hf `permute` (Meta layout -> HF layout).
torch::Tensor unpermute_rope(const torch::Tensor& w, int64_t heads);

}  // namespace fsllm::io
