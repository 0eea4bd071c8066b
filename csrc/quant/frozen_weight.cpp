// SPDX-License-Identifier: Apache-2.0
// See frozen_weight.h. Block rows decode with io::decode_ggml_blocks on the CPU and with tensor ops on other
// devices (the same formulas; CUDA has not run here).
#include "quant/frozen_weight.h"

#include "core/error.h"

namespace fsllm::quant {

namespace {

bool is_blocks(BaseFormat f) { return f == BaseFormat::kQ8_0 || f == BaseFormat::kQ4_0 || f == BaseFormat::kQ4_1; }

io::GgmlBlock block_kind(BaseFormat f) {
  switch (f) {
    case BaseFormat::kQ8_0: return io::GgmlBlock::kQ8_0;
    case BaseFormat::kQ4_0: return io::GgmlBlock::kQ4_0;
    case BaseFormat::kQ4_1: return io::GgmlBlock::kQ4_1;
    default: break;
  }
  throw Error(ErrorCode::kNative, "block_kind: not a block format");
}

BaseFormat format_of(io::GgmlBlock kind) {
  switch (kind) {
    case io::GgmlBlock::kQ8_0: return BaseFormat::kQ8_0;
    case io::GgmlBlock::kQ4_0: return BaseFormat::kQ4_0;
    case io::GgmlBlock::kQ4_1: return BaseFormat::kQ4_1;
  }
  return BaseFormat::kQ4_0;
}

// An fp16 field at byte `at` of every block: (out, blocks) fp32.
torch::Tensor half_field(const torch::Tensor& blocks, int64_t at) {
  return blocks.narrow(2, at, 2).contiguous().view(torch::kFloat16).squeeze(2).to(torch::kFloat32);
}

// Device-generic decode of (rows, blocks, bytes) uint8 blocks to (rows, blocks * 32) fp32.
torch::Tensor decode_with_ops(const torch::Tensor& blocks, io::GgmlBlock kind) {
  const int64_t rows = blocks.size(0), n = blocks.size(1);
  if (kind == io::GgmlBlock::kQ8_0) {
    auto q = blocks.narrow(2, 2, 32).contiguous().view(torch::kInt8).to(torch::kFloat32);
    return (q * half_field(blocks, 0).unsqueeze(2)).reshape({rows, n * 32});
  }
  const int64_t qs_at = kind == io::GgmlBlock::kQ4_0 ? 2 : 4;
  auto qs = blocks.narrow(2, qs_at, 16).to(torch::kInt32);
  auto q = torch::cat({qs.bitwise_and(15), qs.bitwise_right_shift(4)}, 2).to(torch::kFloat32);  // low nibbles first
  auto d = half_field(blocks, 0).unsqueeze(2);
  auto x = kind == io::GgmlBlock::kQ4_0 ? (q - 8.0f) * d : q * d + half_field(blocks, 2).unsqueeze(2);
  return x.reshape({rows, n * 32});
}

}  // namespace

BaseFormat parse_base_dtype(const std::string& name) {
  if (name == "fp32") return BaseFormat::kFp32;
  if (name == "bf16") return BaseFormat::kBf16;
  if (name == "fp16") return BaseFormat::kFp16;
  if (name == "int8") return BaseFormat::kQ8_0;
  if (name == "q4") return BaseFormat::kQ4_0;
  throw Error(ErrorCode::kInvalidArg, "Expected one of fp32, bf16, fp16, int8, q4 for baseDtype but received " + name);
}

const char* base_dtype_name(BaseFormat format) {
  switch (format) {
    case BaseFormat::kFp32: return "fp32";
    case BaseFormat::kBf16: return "bf16";
    case BaseFormat::kFp16: return "fp16";
    case BaseFormat::kQ8_0: return "int8";
    case BaseFormat::kQ4_0:
    case BaseFormat::kQ4_1: return "q4";
  }
  return "fp32";
}

bool keeps_ggml_blocks(BaseFormat requested, io::GgmlBlock stored) {
  if (requested == BaseFormat::kQ8_0) return stored == io::GgmlBlock::kQ8_0;
  if (requested == BaseFormat::kQ4_0 || requested == BaseFormat::kQ4_1) return stored != io::GgmlBlock::kQ8_0;
  return false;
}

void FrozenWeight::dequantize_rows(int64_t begin, int64_t end, torch::Tensor& dst) const {
  const int64_t rows = end - begin;
  if (!is_blocks(format)) {
    dst.copy_(data.narrow(0, begin, rows));
    return;
  }
  const auto kind = block_kind(format);
  const int64_t block_bytes = io::ggml_block_bytes(kind), n = blocks_per_row();
  const bool padded = n * io::kGgmlBlockValues != in;
  if (data.device().is_cpu()) {
    // Padded rows decode whole into a scratch tile first; the zeros past `in` are dropped on the copy.
    auto whole = padded ? torch::empty({rows, n * io::kGgmlBlockValues}, dst.options()) : dst;
    io::decode_ggml_blocks(kind, data.data_ptr<uint8_t>() + begin * data.size(1), rows * n, block_bytes, whole.data_ptr<float>());
    if (padded) dst.copy_(whole.narrow(1, 0, in));
    return;
  }
  dst.copy_(decode_with_ops(data.narrow(0, begin, rows).view({rows, n, block_bytes}), kind).narrow(1, 0, in));
}

torch::Tensor FrozenWeight::dequantize() const {
  auto out_tensor = torch::empty({out, in}, data.options().dtype(torch::kFloat32));
  dequantize_rows(0, out, out_tensor);
  return out_tensor;
}

FrozenWeight freeze(const torch::Tensor& dense, BaseFormat format, const std::string& what) {
  FSLLM_CHECK(dense.dim() == 2, ErrorCode::kInvalidArg, what + ": a frozen base weight must be 2-D");
  FrozenWeight w;
  w.format = format;
  w.out = dense.size(0);
  w.in = dense.size(1);
  switch (format) {
    case BaseFormat::kFp32: w.data = dense.to(torch::kFloat32).contiguous(); return w;
    case BaseFormat::kBf16: w.data = dense.to(torch::kBFloat16).contiguous(); return w;
    case BaseFormat::kFp16: w.data = dense.to(torch::kFloat16).contiguous(); return w;
    default: break;
  }
  const auto kind = block_kind(format);
  const int64_t n = w.blocks_per_row();
  auto source = dense.to(torch::kCPU, torch::kFloat32);
  const int64_t pad = n * io::kGgmlBlockValues - w.in;
  source = pad > 0 ? torch::constant_pad_nd(source, {0, pad}, 0.0) : source.contiguous();
  w.data = torch::empty({w.out, n * io::ggml_block_bytes(kind)}, torch::kUInt8);
  io::encode_ggml_blocks(kind, source.data_ptr<float>(), w.out * n, w.data.data_ptr<uint8_t>());
  w.data = w.data.to(dense.device());
  return w;
}

FrozenWeight from_ggml_blocks(torch::Tensor blocks, io::GgmlBlock kind, int64_t out, int64_t in) {
  FSLLM_CHECK(blocks.scalar_type() == torch::kUInt8 && blocks.dim() == 2 && blocks.size(0) == out &&
                  in % io::kGgmlBlockValues == 0 && blocks.size(1) == in / io::kGgmlBlockValues * io::ggml_block_bytes(kind),
              ErrorCode::kCheckpoint, "ggml blocks do not match a (" + std::to_string(out) + ", " + std::to_string(in) + ") weight");
  FrozenWeight w;
  w.format = format_of(kind);
  w.out = out;
  w.in = in;
  w.data = blocks.contiguous();
  return w;
}

}  // namespace fsllm::quant
