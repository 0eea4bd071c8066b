// SPDX-License-Identifier: Apache-2.0
#include "comm/quantize.h"

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/error.h"

namespace fsllm::comm {

namespace {

constexpr int64_t kGrainValues = 1 << 15;  // values per parallel chunk: below this, threads cost more than they save

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
void store_u16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

[[noreturn]] void throw_value(const char* codec, size_t index, float value, const char* why) {
  std::ostringstream msg;
  msg << "Cannot encode value " << value << " at index " << index << " as " << codec << ": " << why;
  throw Error(ErrorCode::kInvalidArg, msg.str());
}

// The smallest fp16 >= s (s finite, >= 0). Rounding up keeps |x|/scale within the integer range.
c10::Half half_at_least(float s) {
  c10::Half h(s);
  if (static_cast<float>(h) < s) h = c10::Half(static_cast<uint16_t>(h.x + 1), c10::Half::from_bits());
  return h;
}

// Runs body(first, last) over [0, n) in chunks aligned to `align` values, on libtorch's intra-op pool.
template <typename F>
void for_chunks(size_t n, size_t align, F&& body) {
  const int64_t units = static_cast<int64_t>((n + align - 1) / align);
  const int64_t grain = std::max<int64_t>(1, kGrainValues / static_cast<int64_t>(align));
  at::parallel_for(0, units, grain, [&](int64_t u0, int64_t u1) {
    body(static_cast<size_t>(u0) * align, std::min(n, static_cast<size_t>(u1) * align));
  });
}

template <typename T>
void encode_cast(const char* name, const float* x, size_t n, uint8_t* out, float* residual) {
  for_chunks(n, 1, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) {
      const float v = residual ? x[i] + residual[i] : x[i];
      const T h(v);  // c10 casts round to nearest even
      const float back = static_cast<float>(h);
      if (!std::isfinite(back)) {
        throw_value(name, i, v, std::isfinite(v) ? "it is outside the format's range (try bf16 or fp32)" : "it is not finite");
      }
      store_u16(out + 2 * i, h.x);
      if (residual) residual[i] = v - back;
    }
  });
}

template <typename T>
void decode_cast(const uint8_t* in, size_t n, float* out) {
  for_chunks(n, 1, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) out[i] = static_cast<float>(T(load_u16(in + 2 * i), T::from_bits()));
  });
}

// bits = 8 or 4. Groups are independent, so chunks are whole groups (and, for int4, whole bytes: g is even).
void encode_int(int bits, const float* x, size_t n, size_t g, uint8_t* out, float* residual) {
  const char* name = bits == 8 ? "int8" : "int4";
  const int qmax = (1 << (bits - 1)) - 1;
  uint8_t* scales = out;
  uint8_t* values = out + 2 * ((n + g - 1) / g);
  if (bits == 4 && n % 2 == 1) values[n / 2] = 0;  // the unused high nibble
  for_chunks(n, g, [&](size_t i0, size_t i1) {
    for (size_t start = i0; start < i1; start += g) {
      const size_t end = std::min(start + g, n);
      float amax = 0.0f;
      for (size_t i = start; i < end; ++i) {
        const float v = residual ? x[i] + residual[i] : x[i];
        if (!std::isfinite(v)) throw_value(name, i, v, "it is not finite");
        amax = std::max(amax, std::fabs(v));
      }
      const float exact = amax / static_cast<float>(qmax);
      if (!(exact <= 65504.0f)) throw_value(name, start, amax, "its group scale exceeds fp16 (use bf16 or fp32)");
      const c10::Half stored = half_at_least(exact);
      const float s = static_cast<float>(stored);
      store_u16(scales + 2 * (start / g), stored.x);
      for (size_t i = start; i < end; ++i) {
        const float v = residual ? x[i] + residual[i] : x[i];
        int q = 0;
        if (s > 0.0f) q = static_cast<int>(std::clamp(std::nearbyint(v / s), -static_cast<float>(qmax), static_cast<float>(qmax)));
        if (bits == 8) {
          values[i] = static_cast<uint8_t>(static_cast<int8_t>(q));
        } else if (i % 2 == 0) {
          values[i / 2] = static_cast<uint8_t>(q & 0x0F);  // the high nibble is written by i + 1 (same chunk: g is even)
        } else {
          values[i / 2] = static_cast<uint8_t>(values[i / 2] | ((q & 0x0F) << 4));
        }
        if (residual) residual[i] = v - static_cast<float>(q) * s;
      }
    }
  });
}

void decode_int(int bits, const uint8_t* in, size_t n, size_t g, float* out) {
  const uint8_t* scales = in;
  const uint8_t* values = in + 2 * ((n + g - 1) / g);
  for_chunks(n, g, [&](size_t i0, size_t i1) {
    for (size_t start = i0; start < i1; start += g) {
      const size_t end = std::min(start + g, n);
      const float s = static_cast<float>(c10::Half(load_u16(scales + 2 * (start / g)), c10::Half::from_bits()));
      for (size_t i = start; i < end; ++i) {
        int q;
        if (bits == 8) {
          q = static_cast<int8_t>(values[i]);
        } else {
          const int nibble = (values[i / 2] >> (4 * (i % 2))) & 0x0F;
          q = nibble >= 8 ? nibble - 16 : nibble;
        }
        out[i] = static_cast<float>(q) * s;
      }
    }
  });
}

void check_group(Codec codec, size_t group) {
  FSLLM_CHECK(group >= 1, ErrorCode::kInvalidArg, "Expected a group size >= 1");
  FSLLM_CHECK(codec != Codec::kInt4 || group % 2 == 0, ErrorCode::kInvalidArg,
              "Expected an even group size for int4 (two values share a byte)");
}

}  // namespace

Codec parse_codec(const std::string& name) {
  if (name == "fp32") return Codec::kFp32;
  if (name == "fp16") return Codec::kFp16;
  if (name == "bf16") return Codec::kBf16;
  if (name == "int8") return Codec::kInt8;
  if (name == "int4") return Codec::kInt4;
  throw Error(ErrorCode::kInvalidArg, "Expected one of fp32, fp16, bf16, int8, int4 for codec but received " + name);
}

const char* codec_name(Codec codec) {
  switch (codec) {
    case Codec::kFp32: return "fp32";
    case Codec::kFp16: return "fp16";
    case Codec::kBf16: return "bf16";
    case Codec::kInt8: return "int8";
    case Codec::kInt4: return "int4";
  }
  return "?";
}

size_t encoded_bytes(Codec codec, size_t n, size_t group) {
  switch (codec) {
    case Codec::kFp32: return 4 * n;
    case Codec::kFp16:
    case Codec::kBf16: return 2 * n;
    case Codec::kInt8: return 2 * ((n + group - 1) / group) + n;
    case Codec::kInt4: return 2 * ((n + group - 1) / group) + (n + 1) / 2;
  }
  return 0;
}

void encode(Codec codec, const float* x, size_t n, size_t group, uint8_t* out, float* residual) {
  check_group(codec, group);
  if (n == 0) return;
  switch (codec) {
    case Codec::kFp32:
      if (residual) {
        for_chunks(n, 1, [&](size_t i0, size_t i1) {
          for (size_t i = i0; i < i1; ++i) {
            const float v = x[i] + residual[i];
            std::memcpy(out + 4 * i, &v, 4);
            residual[i] = 0.0f;
          }
        });
      } else {
        std::memcpy(out, x, 4 * n);
      }
      return;
    case Codec::kFp16: return encode_cast<c10::Half>("fp16", x, n, out, residual);
    case Codec::kBf16: return encode_cast<c10::BFloat16>("bf16", x, n, out, residual);
    case Codec::kInt8: return encode_int(8, x, n, group, out, residual);
    case Codec::kInt4: return encode_int(4, x, n, group, out, residual);
  }
}

void decode(Codec codec, const uint8_t* in, size_t n, size_t group, float* out) {
  check_group(codec, group);
  if (n == 0) return;
  switch (codec) {
    case Codec::kFp32: std::memcpy(out, in, 4 * n); return;
    case Codec::kFp16: return decode_cast<c10::Half>(in, n, out);
    case Codec::kBf16: return decode_cast<c10::BFloat16>(in, n, out);
    case Codec::kInt8: return decode_int(8, in, n, group, out);
    case Codec::kInt4: return decode_int(4, in, n, group, out);
  }
}

}  // namespace fsllm::comm
