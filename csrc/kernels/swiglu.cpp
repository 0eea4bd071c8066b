// SPDX-License-Identifier: Apache-2.0
// See swiglu.h. Non-CPU tensors use the same formulas through libtorch ops.
#include "kernels/swiglu.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "kernels/vec_math.h"

namespace fsllm::kernels {

namespace {

constexpr int64_t kGrain = 1 << 14;

FSLLM_VECTOR_CLONES
void forward_block(const float* a, const float* b, float* h, int64_t n) {
  for (int64_t i = 0; i < n; ++i) h[i] = a[i] * sigmoid_approx(a[i]) * b[i];
}

FSLLM_VECTOR_CLONES
void backward_block(const float* g, const float* a, const float* b, float* da, float* db, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = sigmoid_approx(a[i]);
    const float gs = g[i] * s;
    da[i] = gs * b[i] * (1.0f + a[i] * (1.0f - s));
    db[i] = gs * a[i];
  }
}

// Runs `block` over float views of equal-length contiguous tensors, converting other dtypes per block.
template <typename Block>
void for_each_block(const std::vector<torch::Tensor>& inputs, const std::vector<torch::Tensor>& outputs, Block block) {
  const int64_t n = inputs[0].numel();
  if (inputs[0].scalar_type() == torch::kFloat32) {
    at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
      std::vector<const float*> in;
      std::vector<float*> out;
      for (const auto& t : inputs) in.push_back(t.data_ptr<float>() + begin);
      for (const auto& t : outputs) out.push_back(t.data_ptr<float>() + begin);
      block(in, out, end - begin);
    });
    return;
  }
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, inputs[0].scalar_type(), "swiglu", [&] {
    at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
      const int64_t len = end - begin;
      std::vector<std::vector<float>> in_buf, out_buf(outputs.size(), std::vector<float>(len));
      std::vector<const float*> in;
      std::vector<float*> out;
      for (const auto& t : inputs) {
        const auto* p = t.data_ptr<scalar_t>() + begin;
        in_buf.emplace_back(p, p + len);
        in.push_back(in_buf.back().data());
      }
      for (auto& buf : out_buf) out.push_back(buf.data());
      block(in, out, len);
      for (size_t k = 0; k < outputs.size(); ++k) {
        std::copy(out_buf[k].begin(), out_buf[k].end(), outputs[k].data_ptr<scalar_t>() + begin);
      }
    });
  });
}

torch::Tensor swiglu_forward(const torch::Tensor& a, const torch::Tensor& b) {
  if (!a.device().is_cpu()) return torch::silu(a) * b;
  auto h = torch::empty_like(a);
  for_each_block({a, b}, {h}, [](const auto& in, const auto& out, int64_t n) { forward_block(in[0], in[1], out[0], n); });
  return h;
}

std::pair<torch::Tensor, torch::Tensor> swiglu_backward(const torch::Tensor& g, const torch::Tensor& a,
                                                        const torch::Tensor& b) {
  if (!a.device().is_cpu()) {
    auto s = torch::sigmoid(a);
    return {g * b * s * (1 + a * (1 - s)), g * a * s};
  }
  auto da = torch::empty_like(a), db = torch::empty_like(b);
  for_each_block({g, a, b}, {da, db}, [](const auto& in, const auto& out, int64_t n) {
    backward_block(in[0], in[1], in[2], out[0], out[1], n);
  });
  return {da, db};
}

class SwiGluFunction : public torch::autograd::Function<SwiGluFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a, const torch::Tensor& b) {
    auto ac = a.contiguous(), bc = b.contiguous();
    ctx->save_for_backward({ac, bc});
    return swiglu_forward(ac, bc);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    auto [da, db] = swiglu_backward(grad_outputs[0].contiguous(), saved[0], saved[1]);
    return {da, db};
  }
};

}  // namespace

torch::Tensor swiglu(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.requires_grad() || b.requires_grad()) return SwiGluFunction::apply(a, b);
  return swiglu_forward(a.contiguous(), b.contiguous());
}

}  // namespace fsllm::kernels
