// SPDX-License-Identifier: Apache-2.0
// See softmax_xent_rows.h.
#include "kernels/softmax_xent_rows.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "kernels/vec_math.h"

namespace fsllm::kernels {

namespace {

constexpr int kLanes = 8;

FSLLM_VECTOR_CLONES
float row_max(const float* x, int64_t n) {
  float acc[kLanes];
  for (int k = 0; k < kLanes; ++k) acc[k] = -INFINITY;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int k = 0; k < kLanes; ++k) acc[k] = x[j + k] > acc[k] ? x[j + k] : acc[k];
  }
  float m = -INFINITY;
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  for (float v : acc) m = v > m ? v : m;
  return m;
}

// x <- exp(x - max), returns the sum.
FSLLM_VECTOR_CLONES
float exp_shift_sum(float* x, float max, int64_t n) {
  float acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int k = 0; k < kLanes; ++k) {
      x[j + k] = exp_approx(x[j + k] - max);
      acc[k] += x[j + k];
    }
  }
  float total = 0.0f;
  for (; j < n; ++j) {
    x[j] = exp_approx(x[j] - max);
    total += x[j];
  }
  for (float v : acc) total += v;
  return total;
}

FSLLM_VECTOR_CLONES
void scale(float* x, float factor, int64_t n) {
  for (int64_t j = 0; j < n; ++j) x[j] *= factor;
}

}  // namespace

double softmax_xent_rows(torch::Tensor& logits, const torch::Tensor& targets, bool write_grad) {
  const int64_t C = logits.size(0), V = logits.size(1);
  const auto t = targets.to(torch::kInt64).contiguous();
  if (!logits.device().is_cpu()) {
    auto index = t.unsqueeze(1);
    auto lse = logits.logsumexp(/*dim=*/1, /*keepdim=*/true);
    const double loss = (lse - logits.gather(1, index)).sum().item<double>();
    if (write_grad) logits.sub_(lse).exp_().scatter_add_(1, index, torch::full({C, 1}, -1.0f, logits.options()));
    return loss;
  }
  FSLLM_CHECK(logits.scalar_type() == torch::kFloat32 && logits.is_contiguous(), ErrorCode::kNative,
              "softmax_xent_rows expects contiguous float32 logits");
  float* base = logits.data_ptr<float>();
  const int64_t* target = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < C; ++i) {
    FSLLM_CHECK(target[i] >= 0 && target[i] < V, ErrorCode::kInvalidArg,
                "a label id is outside the vocabulary [0, " + std::to_string(V) + ")");
  }
  std::vector<double> row_loss(C);
  at::parallel_for(0, C, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float* x = base + i * V;
      const float target_logit = x[target[i]];
      const float max = row_max(x, V);
      const float sum = exp_shift_sum(x, max, V);
      row_loss[i] = static_cast<double>(max) + std::log(static_cast<double>(sum)) - static_cast<double>(target_logit);
      if (!write_grad) continue;
      scale(x, 1.0f / sum, V);
      x[target[i]] -= 1.0f;
    }
  });
  double total = 0.0;
  for (double v : row_loss) total += v;
  return total;
}

}  // namespace fsllm::kernels
