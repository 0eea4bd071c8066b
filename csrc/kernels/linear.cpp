// SPDX-License-Identifier: Apache-2.0
// See linear.h.
#include "kernels/linear.h"

#include <ATen/Parallel.h>
#include <torch/nn/functional/linear.h>

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/avx2.h"

namespace fsllm::kernels {

namespace {

// A tile is kRowTile input rows against kOutTile weight rows: 12 accumulators, 3 weight vectors and one
// input vector fill the 16 AVX2 registers.
constexpr int kRowTile = 4;
constexpr int kOutTile = 3;
// Multiply-adds below which a call stays on one thread (a fork/join costs a few microseconds).
constexpr int64_t kSerialWork = 1 << 16;

#ifdef FSLLM_AVX2_KERNELS

// y[i][j] = x_i . w_j (+ bias[j]) for MR input rows and NR weight rows, each of length k. Rows are
// contiguous; x and y rows are ld apart, weight rows k apart.
template <int MR, int NR>
FSLLM_AVX2 void dot_tile(const float* x, const float* w, int64_t k, float* y, int64_t ldy, const float* bias) {
  __m256 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + 8 <= k; p += 8) {
    __m256 wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = _mm256_loadu_ps(w + j * k + p);
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * k + p);
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) {
      float s = horizontal_sum(acc[i][j]);
      for (int64_t q = p; q < k; ++q) s += x[i * k + q] * w[j * k + q];
      y[i * ldy + j] = bias ? s + bias[j] : s;
    }
  }
}

using DotTile = void (*)(const float*, const float*, int64_t, float*, int64_t, const float*);

template <int MR, std::size_t... J>
constexpr std::array<DotTile, kOutTile> tiles_for_rows(std::index_sequence<J...>) {
  return {&dot_tile<MR, static_cast<int>(J) + 1>...};
}

template <std::size_t... I>
constexpr std::array<std::array<DotTile, kOutTile>, kRowTile> all_tiles(std::index_sequence<I...>) {
  return {tiles_for_rows<static_cast<int>(I) + 1>(std::make_index_sequence<kOutTile>())...};
}

// kTiles[MR - 1][NR - 1]: the edge tiles of a shape that is not a multiple of 4 x 3.
constexpr auto kTiles = all_tiles(std::make_index_sequence<kRowTile>());

#endif

// The kernel; linear() calls it only where its conditions hold: x (rows, in) and weight (out, in) contiguous
// fp32 on the CPU, bias (out) contiguous fp32 or undefined, and a CPU with AVX2 and FMA.
torch::Tensor few_rows_linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const int64_t rows = x.size(0), k = x.size(1), n = weight.size(0);
  auto y = torch::empty({rows, n}, x.options());
#ifdef FSLLM_AVX2_KERNELS
  const float* xp = x.data_ptr<float>();
  const float* wp = weight.data_ptr<float>();
  const float* bp = bias.defined() ? bias.data_ptr<float>() : nullptr;
  float* yp = y.data_ptr<float>();
  const int64_t out_tiles = (n + kOutTile - 1) / kOutTile;
  // Weight tiles outside, input rows inside: each weight row is read from memory once and reused from L1 by
  // every row group, while the input (at most 32 rows) stays in L2.
  const int64_t grain = std::max<int64_t>(1, kSerialWork / std::max<int64_t>(1, rows * k * kOutTile));
  at::parallel_for(0, out_tiles, grain, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t j = t * kOutTile;
      const int nr = static_cast<int>(std::min<int64_t>(kOutTile, n - j));
      for (int64_t i = 0; i < rows; i += kRowTile) {
        const int mr = static_cast<int>(std::min<int64_t>(kRowTile, rows - i));
        kTiles[mr - 1][nr - 1](xp + i * k, wp + j * k, k, yp + i * n + j, n, bp ? bp + j : nullptr);
      }
    }
  });
#endif
  return y;
}

}  // namespace

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const bool outside_autograd = !torch::GradMode::is_enabled() ||
                                (!x.requires_grad() && !weight.requires_grad() && (!bias.defined() || !bias.requires_grad()));
  const bool fp32_cpu = x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 && x.device().is_cpu() &&
                        weight.device().is_cpu() && (!bias.defined() || bias.scalar_type() == torch::kFloat32);
  const int64_t in = weight.dim() == 2 ? weight.size(1) : -1;
  const int64_t rows = in > 0 && x.dim() >= 1 && x.size(-1) == in ? x.numel() / in : -1;
  if (outside_autograd && fp32_cpu && rows >= 1 && rows <= kFewRowsMax && weight.is_contiguous() &&
      (!bias.defined() || (bias.is_contiguous() && bias.numel() == weight.size(0))) && cpu_has_avx2_fma()) {
    auto shape = x.sizes().vec();
    shape.back() = weight.size(0);
    return few_rows_linear(x.reshape({rows, in}).contiguous(), weight, bias).view(shape);
  }
  return torch::nn::functional::linear(x, weight, bias);
}

}  // namespace fsllm::kernels
