// SPDX-License-Identifier: Apache-2.0
// Decodes the tensors of mapped checkpoint files (IEEE floats by memcpy + torch cast, ggml Q8_0/Q4_0/Q4_1 by
// block loops) into owned CPU tensors, then applies the layout transform. Header parsing and every
// decision about which bytes to read live in lib/formats/; this file trusts nothing it is given and
// checks bounds and sizes before reading a byte.
#include "io/tensor_loader.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <unordered_set>

#include "core/error.h"
#include "io/ggml_blocks.h"
#include "io/mapped_file.h"

// Every encoding is read by reinterpreting little-endian bytes.
#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
#error "fsllm::io reads little-endian files by reinterpretation; big-endian hosts are not supported"
#endif

namespace fsllm::io {
namespace {

struct DTypeInfo {
  StoredDType dtype;
  const char* name;
  int64_t block_values;  // 1 for plain element types
  int64_t block_bytes;   // bytes per block (per element for plain types)
};

// One row per StoredDType, in enum order (checked below). Block sizes are ggml's:
// block_q8_0 {half d; int8 qs[32]}, block_q4_0 {half d; uint8 qs[16]}, block_q4_1 {half d, m; uint8 qs[16]}.
constexpr DTypeInfo kDTypes[] = {
    {StoredDType::kF32, "f32", 1, 4},
    {StoredDType::kF16, "f16", 1, 2},
    {StoredDType::kBF16, "bf16", 1, 2},
    {StoredDType::kF64, "f64", 1, 8},
    {StoredDType::kI32, "i32", 1, 4},
    {StoredDType::kI64, "i64", 1, 8},
    {StoredDType::kQ8_0, "q8_0", kGgmlBlockValues, 2 + 32},
    {StoredDType::kQ4_0, "q4_0", kGgmlBlockValues, 2 + 16},
    {StoredDType::kQ4_1, "q4_1", kGgmlBlockValues, 2 + 2 + 16},
};
constexpr size_t kDTypeCount = sizeof(kDTypes) / sizeof(kDTypes[0]);
static_assert(kDTypeCount == static_cast<size_t>(StoredDType::kQ4_1) + 1, "one kDTypes row per StoredDType");

constexpr bool dtype_table_in_enum_order() {
  for (size_t i = 0; i < kDTypeCount; ++i) {
    if (static_cast<size_t>(kDTypes[i].dtype) != i) return false;
  }
  return true;
}
static_assert(dtype_table_in_enum_order(), "kDTypes rows must follow StoredDType order");

const DTypeInfo& info(StoredDType dtype) { return kDTypes[static_cast<size_t>(dtype)]; }

bool is_block_type(StoredDType dtype) { return info(dtype).block_values > 1; }
bool is_integer_type(StoredDType dtype) { return dtype == StoredDType::kI32 || dtype == StoredDType::kI64; }

// Plain encodings only: the torch dtype whose bytes equal the stored bytes.
torch::ScalarType plain_scalar_type(StoredDType dtype) {
  switch (dtype) {
    case StoredDType::kF32: return torch::kFloat32;
    case StoredDType::kF16: return torch::kFloat16;
    case StoredDType::kBF16: return torch::kBFloat16;
    case StoredDType::kF64: return torch::kFloat64;
    case StoredDType::kI32: return torch::kInt32;
    case StoredDType::kI64: return torch::kInt64;
    default: break;
  }
  throw Error(ErrorCode::kNative, std::string("no plain torch dtype for ") + info(dtype).name);
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::string where(const TensorSourceSpec& spec) { return "tensor " + spec.name + " in " + spec.file; }

torch::Tensor dequantize(const uint8_t* bytes, const TensorSourceSpec& spec) {
  auto out = torch::empty(spec.shape, torch::kFloat32);
  const int64_t n_blocks = out.numel() / kGgmlBlockValues;
  GgmlBlock kind;
  if (!stored_ggml_block(spec.dtype, &kind)) throw Error(ErrorCode::kNative, "dequantize: not a block type: " + where(spec));
  decode_ggml_blocks(kind, bytes, n_blocks, info(spec.dtype).block_bytes, out.data_ptr<float>());
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Validation, before any file is opened.

void check_spec(const TensorSourceSpec& spec) {
  const int64_t expected = [&] {
    try {
      return stored_byte_length(spec.dtype, spec.shape);
    } catch (const Error& e) {
      throw Error(ErrorCode::kCheckpoint, where(spec) + ": " + e.what());
    }
  }();
  FSLLM_CHECK(spec.byte_length == expected, ErrorCode::kCheckpoint,
              where(spec) + ": " + std::to_string(spec.byte_length) + " bytes stored but shape " +
                  shape_string(spec.shape) + " as " + info(spec.dtype).name + " needs " +
                  std::to_string(expected));
  FSLLM_CHECK(spec.offset >= 0, ErrorCode::kCheckpoint, where(spec) + ": negative offset");
  switch (spec.transform) {
    case Transform::kNone: break;
    case Transform::kTranspose:
      FSLLM_CHECK(spec.shape.size() == 2, ErrorCode::kCheckpoint,
                  where(spec) + ": transpose needs a 2-D tensor, got shape " + shape_string(spec.shape));
      break;
    case Transform::kUnpermuteRope: {
      const bool ok = (spec.shape.size() == 1 || spec.shape.size() == 2) && spec.heads > 0 &&
                      spec.shape[0] % (2 * spec.heads) == 0;
      FSLLM_CHECK(ok, ErrorCode::kCheckpoint,
                  where(spec) + ": cannot unpermute RoPE rows of shape " + shape_string(spec.shape) +
                      " into " + std::to_string(spec.heads) + " heads of even size");
      break;
    }
  }
  FSLLM_CHECK(!(is_integer_type(spec.dtype) && spec.transform == Transform::kUnpermuteRope),
              ErrorCode::kCheckpoint, where(spec) + ": RoPE unpermute applies to weights, not integer tensors");
}

void check_target(torch::ScalarType target) {
  const bool float_target = target == torch::kFloat32 || target == torch::kFloat16 ||
                            target == torch::kBFloat16 || target == torch::kFloat64;
  FSLLM_CHECK(float_target, ErrorCode::kInvalidArg,
              std::string("Expected a float dtype for the load target but received ") + c10::toString(target));
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

StoredDType parse_stored_dtype(const std::string& name) {
  for (const auto& row : kDTypes) {
    if (name == row.name) return row.dtype;
  }
  throw Error(ErrorCode::kInvalidArg,
              "Expected one of f32, f16, bf16, f64, i32, i64, q8_0, q4_0, q4_1 for dtype but received " + name +
                  " of type string");
}

int64_t stored_byte_length(StoredDType dtype, const std::vector<int64_t>& shape) {
  const auto& row = info(dtype);
  int64_t numel = 1;
  for (int64_t d : shape) {
    FSLLM_CHECK(d >= 0, ErrorCode::kCheckpoint, "negative dimension in shape " + shape_string(shape));
    FSLLM_CHECK(d == 0 || numel <= std::numeric_limits<int64_t>::max() / row.block_bytes / d,
                ErrorCode::kCheckpoint, "shape " + shape_string(shape) + " is too large");
    numel *= d;
  }
  if (row.block_values > 1) {
    const int64_t inner = shape.empty() ? 1 : shape.back();
    FSLLM_CHECK(inner % row.block_values == 0, ErrorCode::kCheckpoint,
                std::string(row.name) + " needs the last dimension to be a multiple of 32, got shape " +
                    shape_string(shape));
  }
  return numel / row.block_values * row.block_bytes;
}

torch::Tensor unpermute_rope(const torch::Tensor& w, int64_t heads) {
  const int64_t rows = w.size(0);
  const int64_t cols = w.dim() == 2 ? w.size(1) : 1;
  // (H*Hd, in) -> (H, Hd/2, 2, in): [h][j][a] is stored row h*Hd + 2j + a
  // -> (H, 2, Hd/2, in) -> (H*Hd, in): row h*Hd + a*(Hd/2) + j, HF's rotate-half order
  return w.reshape({heads, rows / heads / 2, 2, cols}).transpose(1, 2).reshape(w.sizes()).contiguous();
}

torch::Tensor decode_tensor(const uint8_t* bytes, const TensorSourceSpec& spec, torch::ScalarType target) {
  check_target(target);  // both cheap; load_tensors() has already run them, other callers may not have
  check_spec(spec);
  torch::Tensor out;
  if (is_block_type(spec.dtype)) {
    out = dequantize(bytes, spec);
  } else {
    // Copy rather than from_blob: the mapping is released before the result is used, and a file offset
    // need not be aligned for the element type.
    out = torch::empty(spec.shape, torch::TensorOptions().dtype(plain_scalar_type(spec.dtype)));
    if (spec.byte_length > 0) std::memcpy(out.data_ptr(), bytes, static_cast<size_t>(spec.byte_length));
  }
  if (!is_integer_type(spec.dtype)) out = out.to(target);
  switch (spec.transform) {
    case Transform::kNone: break;
    case Transform::kTranspose: out = out.t().contiguous(); break;  // (in, out) -> (out, in)
    case Transform::kUnpermuteRope: out = unpermute_rope(out, spec.heads); break;
  }
  return out;
}

void visit_tensors(const std::vector<TensorSourceSpec>& specs,
                   const std::function<void(const TensorSourceSpec&, const uint8_t*)>& visit) {
  std::unordered_set<std::string> names;
  for (const auto& spec : specs) {
    FSLLM_CHECK(names.insert(spec.name).second, ErrorCode::kInvalidArg, "duplicate tensor name " + spec.name);
    check_spec(spec);
  }

  // Group by file (first-appearance order) so each file is mapped once and released before the next.
  std::vector<std::string> files;
  std::unordered_map<std::string, std::vector<const TensorSourceSpec*>> by_file;
  for (const auto& spec : specs) {
    auto& group = by_file[spec.file];
    if (group.empty()) files.push_back(spec.file);
    group.push_back(&spec);
  }

  for (const auto& file : files) {
    const MappedFile mapped(file);
    for (const TensorSourceSpec* spec : by_file[file]) {
      const bool inside = spec->offset <= mapped.size() && spec->byte_length <= mapped.size() - spec->offset;
      FSLLM_CHECK(inside, ErrorCode::kCheckpoint,
                  where(*spec) + ": needs bytes [" + std::to_string(spec->offset) + ", " +
                      std::to_string(spec->offset + spec->byte_length) + ") but the file has " +
                      std::to_string(mapped.size()) + " bytes; it is truncated or its header is wrong");
      visit(*spec, mapped.data() + spec->offset);
      mapped.release(spec->offset, spec->byte_length);
    }
  }
}

std::unordered_map<std::string, torch::Tensor> load_tensors(const std::vector<TensorSourceSpec>& specs,
                                                            torch::ScalarType target) {
  check_target(target);
  std::unordered_map<std::string, torch::Tensor> out;
  out.reserve(specs.size());
  visit_tensors(specs, [&](const TensorSourceSpec& spec, const uint8_t* bytes) {
    out.emplace(spec.name, decode_tensor(bytes, spec, target));
  });
  return out;
}

bool stored_ggml_block(StoredDType dtype, GgmlBlock* kind) {
  switch (dtype) {
    case StoredDType::kQ8_0: *kind = GgmlBlock::kQ8_0; return true;
    case StoredDType::kQ4_0: *kind = GgmlBlock::kQ4_0; return true;
    case StoredDType::kQ4_1: *kind = GgmlBlock::kQ4_1; return true;
    default: return false;
  }
}

torch::Tensor copy_block_rows(const uint8_t* bytes, const TensorSourceSpec& spec) {
  check_spec(spec);
  FSLLM_CHECK(is_block_type(spec.dtype) && spec.shape.size() == 2 && spec.transform != Transform::kTranspose,
              ErrorCode::kCheckpoint, where(spec) + ": only 2-D ggml block tensors without a transpose are kept as blocks");
  const int64_t rows = spec.shape[0];
  auto out = torch::empty({rows, spec.byte_length / std::max<int64_t>(1, rows)}, torch::kUInt8);
  if (spec.byte_length > 0) std::memcpy(out.data_ptr(), bytes, static_cast<size_t>(spec.byte_length));
  return spec.transform == Transform::kUnpermuteRope ? unpermute_rope(out, spec.heads) : out;
}

}  // namespace fsllm::io
