// SPDX-License-Identifier: Apache-2.0
// See rotary_heads.h. Each (b, t) row of the tables serves all H heads of that token.
#include "kernels/rotary_heads.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

namespace fsllm::kernels {

namespace {

// Direction +1 rotates (forward), -1 rotates back (the transpose, for gradients). `src` is indexed
// (b, t, h, j) when `src_tokens_first`, else (b, h, t, j); `dst` the other way round.
template <typename T>
void rotate(const T* src, T* dst, const float* cos, const float* sin, int64_t B, int64_t Tn, int64_t H, int64_t Hd,
            bool src_tokens_first, float direction) {
  const int64_t half = Hd / 2;
  at::parallel_for(0, B * Tn, 8, [&](int64_t begin, int64_t end) {
    for (int64_t bt = begin; bt < end; ++bt) {
      const int64_t b = bt / Tn, t = bt % Tn;
      const float* c = cos + bt * Hd;
      const float* s = sin + bt * Hd;
      for (int64_t h = 0; h < H; ++h) {
        const int64_t tokens_first = ((b * Tn + t) * H + h) * Hd;
        const int64_t heads_first = ((b * H + h) * Tn + t) * Hd;
        const T* in = src + (src_tokens_first ? tokens_first : heads_first);
        T* out = dst + (src_tokens_first ? heads_first : tokens_first);
        for (int64_t j = 0; j < half; ++j) {
          const float x1 = static_cast<float>(in[j]), x2 = static_cast<float>(in[j + half]);
          const float sj = direction * s[j];
          out[j] = static_cast<T>(x1 * c[j] - x2 * sj);
          out[j + half] = static_cast<T>(x2 * c[j] + x1 * sj);
        }
      }
    }
  });
}

torch::Tensor rotate_cpu(const torch::Tensor& src, const torch::Tensor& cos32, const torch::Tensor& sin32,
                         bool src_tokens_first, float direction) {
  const auto B = src.size(0);
  const auto Tn = src_tokens_first ? src.size(1) : src.size(2);
  const auto H = src_tokens_first ? src.size(2) : src.size(1);
  const auto Hd = src.size(3);
  auto in = src.contiguous();
  auto out = src_tokens_first ? torch::empty({B, H, Tn, Hd}, in.options()) : torch::empty({B, Tn, H, Hd}, in.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, in.scalar_type(), "rotary_heads", [&] {
    rotate(in.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), cos32.data_ptr<float>(), sin32.data_ptr<float>(), B, Tn,
           H, Hd, src_tokens_first, direction);
  });
  return out;
}

// Tables as contiguous float32 (B, T, Hd), expanded over the batch when built for one sequence.
torch::Tensor table32(const torch::Tensor& table, int64_t B) {
  return table.squeeze(1).expand({B, -1, -1}).to(torch::kFloat32).contiguous();
}

class RotaryHeadsFunction : public torch::autograd::Function<RotaryHeadsFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& cos,
                               const torch::Tensor& sin) {
    auto c = table32(cos, x.size(0)), s = table32(sin, x.size(0));
    ctx->save_for_backward({c, s});
    return rotate_cpu(x, c, s, /*src_tokens_first=*/true, 1.0f);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    return {rotate_cpu(grad_outputs[0], saved[0], saved[1], /*src_tokens_first=*/false, -1.0f), torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor rotary_heads(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  if (!x.device().is_cpu()) {
    auto xt = x.transpose(1, 2);  // (B, H, T, Hd)
    auto halves = xt.chunk(2, /*dim=*/-1);
    return (xt * cos + torch::cat({-halves[1], halves[0]}, /*dim=*/-1) * sin).contiguous();
  }
  return RotaryHeadsFunction::apply(x, cos, sin);
}

}  // namespace fsllm::kernels
