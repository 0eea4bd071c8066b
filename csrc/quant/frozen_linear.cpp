// SPDX-License-Identifier: Apache-2.0
// See frozen_linear.h.
#include "quant/frozen_linear.h"

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "kernels/linear.h"

namespace fsllm::quant {

namespace {

// Rows per tile: about 4 MiB of fp32, and never fewer than 64 rows (GEMMs keep their rate).
int64_t tile_rows(const FrozenWeight& w) { return std::clamp<int64_t>((int64_t{1} << 20) / std::max<int64_t>(1, w.in), 64, w.out); }

// Calls use(j, r, tile) for each tile of the weight's rows [j, j + r), decoded to fp32 into one reused buffer.
template <typename Use>
void each_tile(const FrozenWeight& w, const torch::TensorOptions& options, Use use) {
  const int64_t step = tile_rows(w);
  auto tile = torch::empty({step, w.in}, options);
  for (int64_t j = 0; j < w.out; j += step) {
    const int64_t r = std::min(step, w.out - j);
    auto t = tile.narrow(0, 0, r);
    w.dequantize_rows(j, j + r, t);
    use(j, r, t);
  }
}

// y (rows, out) = x (rows, in) W^T. Few-row inputs (decoding) use the few-rows kernel per tile.
torch::Tensor forward_tiles(const torch::Tensor& x, const FrozenWeight& w) {
  auto y = torch::empty({x.size(0), w.out}, x.options());
  each_tile(w, x.options(), [&](int64_t j, int64_t r, const torch::Tensor& t) { y.narrow(1, j, r).copy_(kernels::linear(x, t)); });
  return y;
}

// dx (rows, in) = dy (rows, out) W.
torch::Tensor backward_tiles(const torch::Tensor& dy, const FrozenWeight& w) {
  auto dx = torch::zeros({dy.size(0), w.in}, dy.options());
  each_tile(w, dy.options(), [&](int64_t j, int64_t r, const torch::Tensor& t) { dx.addmm_(dy.narrow(1, j, r), t); });
  return dx;
}

class FrozenLinearFunction : public torch::autograd::Function<FrozenLinearFunction> {
 public:
  // The weight travels as its parts: custom functions take tensors and plain values.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& data,
                               int64_t format, int64_t out, int64_t in) {
    const FrozenWeight w{static_cast<BaseFormat>(format), out, in, data};
    ctx->saved_data["format"] = format;
    ctx->saved_data["out"] = out;
    ctx->saved_data["in"] = in;
    ctx->saved_data["data"] = data;
    return forward_tiles(x, w);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const FrozenWeight w{static_cast<BaseFormat>(ctx->saved_data["format"].toInt()), ctx->saved_data["out"].toInt(),
                         ctx->saved_data["in"].toInt(), ctx->saved_data["data"].toTensor()};
    return {backward_tiles(grads[0].contiguous(), w), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor frozen_linear(const torch::Tensor& x, const FrozenWeight& weight, const torch::Tensor& bias) {
  auto x2d = x.reshape({-1, weight.in}).to(torch::kFloat32).contiguous();
  auto y = FrozenLinearFunction::apply(x2d, weight.data, static_cast<int64_t>(weight.format), weight.out, weight.in);
  if (bias.defined()) y = y + bias.to(torch::kFloat32);
  auto shape = x.sizes().vec();
  shape.back() = weight.out;
  return y.view(shape).to(x.scalar_type());
}

}  // namespace fsllm::quant
