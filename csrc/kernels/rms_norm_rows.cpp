// SPDX-License-Identifier: Apache-2.0
// See rms_norm_rows.h. Rows are independent, so rows are split across threads; within a row the sums use
// eight partial accumulators, which the compiler keeps in one vector register.
#include "kernels/rms_norm_rows.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cmath>

#include "kernels/vec_math.h"

namespace fsllm::kernels {

namespace {

constexpr int kLanes = 8;

FSLLM_VECTOR_CLONES
float dot(const float* a, const float* b, int64_t n) {
  float acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int k = 0; k < kLanes; ++k) acc[k] += a[j + k] * b[j + k];
  }
  float total = 0.0f;
  for (; j < n; ++j) total += a[j] * b[j];
  for (float v : acc) total += v;
  return total;
}

FSLLM_VECTOR_CLONES
void scale_row(const float* x, const float* w, float r, float* y, int64_t n) {
  for (int64_t j = 0; j < n; ++j) y[j] = w[j] * (x[j] * r);
}

FSLLM_VECTOR_CLONES
void input_grad_row(const float* g, const float* x, const float* w, float r, float* dx, float* gw, int64_t n) {
  for (int64_t j = 0; j < n; ++j) gw[j] = g[j] * w[j];
  const float c = r * r * r * dot(gw, x, n) / static_cast<float>(n);
  for (int64_t j = 0; j < n; ++j) dx[j] = r * gw[j] - x[j] * c;
}

// Float views of row `row` of a (rows, D) tensor of any floating dtype; converts through `buffer` if needed.
template <typename T>
const float* row_as_float(const T* base, int64_t row, int64_t D, std::vector<float>& buffer) {
  if constexpr (std::is_same_v<T, float>) {
    return base + row * D;
  } else {
    buffer.assign(base + row * D, base + (row + 1) * D);
    return buffer.data();
  }
}

template <typename T>
void store_row(const float* values, T* base, int64_t row, int64_t D) {
  if constexpr (!std::is_same_v<T, float>) std::copy(values, values + D, base + row * D);
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> rms_norm_forward(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  if (!x.device().is_cpu()) {
    auto x32 = x.to(torch::kFloat32);
    auto r = torch::rsqrt(x32.square().mean(/*dim=*/-1) + eps);
    return {weight * (x32 * r.unsqueeze(-1)).to(x.scalar_type()), r};
  }
  const int64_t D = x.size(-1), rows = x.numel() / D;
  auto xc = x.contiguous();
  auto w32 = weight.to(torch::kFloat32).contiguous();
  auto y = torch::empty_like(xc);
  auto r = torch::empty(x.sizes().slice(0, x.dim() - 1), x.options().dtype(torch::kFloat32));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, x.scalar_type(), "rms_norm_forward", [&] {
    const auto* xp = xc.data_ptr<scalar_t>();
    auto* yp = y.data_ptr<scalar_t>();
    const float* wp = w32.data_ptr<float>();
    float* rp = r.data_ptr<float>();
    at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
      std::vector<float> in_buf, out_buf(std::is_same_v<scalar_t, float> ? 0 : D);
      for (int64_t row = begin; row < end; ++row) {
        const float* xr = row_as_float(xp, row, D, in_buf);
        const float rr = 1.0f / std::sqrt(dot(xr, xr, D) / static_cast<float>(D) + static_cast<float>(eps));
        rp[row] = rr;
        float* out = std::is_same_v<scalar_t, float> ? reinterpret_cast<float*>(yp) + row * D : out_buf.data();
        scale_row(xr, wp, rr, out, D);
        store_row(out, yp, row, D);
      }
    });
  });
  return {y, r};
}

torch::Tensor rms_norm_input_grad(const torch::Tensor& g, const torch::Tensor& x, const torch::Tensor& weight,
                                  const torch::Tensor& r) {
  if (!x.device().is_cpu()) {
    auto x32 = x.to(torch::kFloat32);
    auto r1 = r.unsqueeze(-1);
    auto gw = (g * weight).to(torch::kFloat32);
    auto dot = (gw * x32).mean(/*dim=*/-1, /*keepdim=*/true);
    return (gw * r1 - x32 * (r1 * r1 * r1 * dot)).to(x.scalar_type());
  }
  const int64_t D = x.size(-1), rows = x.numel() / D;
  auto xc = x.contiguous(), gc = g.contiguous();
  auto w32 = weight.to(torch::kFloat32).contiguous();
  auto dx = torch::empty_like(xc);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, x.scalar_type(), "rms_norm_input_grad", [&] {
    const auto* xp = xc.data_ptr<scalar_t>();
    const auto* gp = gc.data_ptr<scalar_t>();
    auto* dxp = dx.data_ptr<scalar_t>();
    const float* wp = w32.data_ptr<float>();
    const float* rp = r.data_ptr<float>();
    at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
      std::vector<float> x_buf, g_buf, gw(D), out_buf(std::is_same_v<scalar_t, float> ? 0 : D);
      for (int64_t row = begin; row < end; ++row) {
        const float* xr = row_as_float(xp, row, D, x_buf);
        const float* gr = row_as_float(gp, row, D, g_buf);
        float* out = std::is_same_v<scalar_t, float> ? reinterpret_cast<float*>(dxp) + row * D : out_buf.data();
        input_grad_row(gr, xr, wp, rp[row], out, gw.data(), D);
        store_row(out, dxp, row, D);
      }
    });
  });
  return dx;
}

}  // namespace fsllm::kernels
