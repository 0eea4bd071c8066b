// SPDX-License-Identifier: Apache-2.0
// See dropout.h. libtorch's CPU bernoulli_/uniform_ are serial loops over a shared generator; a hashed
// counter gives every element its own draw, so the mask is built in parallel and in the same pass as the
// multiply.
#include "kernels/dropout.h"

#include <ATen/Parallel.h>
#include <ATen/Dispatch.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <torch/csrc/autograd/custom_function.h>

#include "kernels/vec_math.h"

namespace fsllm::kernels {

namespace {

constexpr int64_t kGrain = 1 << 15;

// Elements [first, first + n) of the whole tensor: element i keeps when its hash clears the threshold. The
// 64-bit index and seed are folded into 32-bit words so the loop vectorises with 32-bit lanes.
FSLLM_VECTOR_CLONES
void dropout_block(const float* x, float* y, int64_t n, int64_t first, uint32_t threshold, float scale, uint64_t seed) {
  const uint32_t key = mix32(static_cast<uint32_t>(seed) ^ mix32(static_cast<uint32_t>(seed >> 32) + 0x9e3779b9u));
  for (int64_t j = 0; j < n; ++j) {
    const auto i = static_cast<uint64_t>(first + j);
    const uint32_t h = mix32(mix32(static_cast<uint32_t>(i) ^ key) + static_cast<uint32_t>(i >> 32) * 0x632be5abu + key);
    y[j] = h >= threshold ? x[j] * scale : 0.0f;
  }
}

// Other dtypes go through a float copy of the block, with the same element indices.
template <typename T>
void dropout_block(const T* x, T* y, int64_t n, int64_t first, uint32_t threshold, float scale, uint64_t seed) {
  std::vector<float> buffer(x, x + n);
  dropout_block(buffer.data(), buffer.data(), n, first, threshold, scale, seed);
  std::copy(buffer.begin(), buffer.end(), y);
}

class SeededDropoutFunction : public torch::autograd::Function<SeededDropoutFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p, int64_t seed) {
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return seeded_dropout(x, p, static_cast<uint64_t>(seed));
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const double p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    return {seeded_dropout(grad_outputs[0], p, seed), torch::Tensor(), torch::Tensor()};
  }
};

uint64_t draw_seed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get<at::CPUGeneratorImpl>()->random64();
}

}  // namespace

torch::Tensor seeded_dropout(const torch::Tensor& x, double p, uint64_t seed) {
  auto input = x.contiguous();
  auto out = torch::empty_like(input);
  const auto threshold = static_cast<uint32_t>(std::min(p * 4294967296.0, 4294967295.0));
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, input.scalar_type(), "seeded_dropout", [&] {
    const auto* src = input.data_ptr<scalar_t>();
    auto* dst = out.data_ptr<scalar_t>();
    at::parallel_for(0, input.numel(), kGrain, [&](int64_t begin, int64_t end) {
      dropout_block(src + begin, dst + begin, end - begin, begin, threshold, scale, seed);
    });
  });
  return out;
}

torch::Tensor dropout_train(const torch::Tensor& x, double p) {
  const auto seed = static_cast<int64_t>(draw_seed() >> 1);  // IValue ints are signed
  return SeededDropoutFunction::apply(x, p, seed);
}

}  // namespace fsllm::kernels
