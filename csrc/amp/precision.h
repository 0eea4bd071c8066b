// SPDX-License-Identifier: Apache-2.0
// Compute precision of a step, and an RAII guard that turns autocast on for it. Autocast state is
// thread-local in libtorch, so the guard is created inside the job, on the executor thread.
#pragma once

namespace fsllm::amp {

enum class Precision { kFp32, kBf16, kFp16 };

class AutocastGuard {
 public:
  // Throws fsllm::Error(kUnsupported) for fp16 on CPU (libtorch has no CPU fp16 matmul kernels).
  AutocastGuard(Precision precision, torch::Device device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

}  // namespace fsllm::amp
