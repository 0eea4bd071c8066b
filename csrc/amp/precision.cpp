// SPDX-License-Identifier: Apache-2.0
// Autocast guard; see precision.h. Trainable parameters stay fp32 (master weights): autocast casts
// them per op, so the optimizer always updates fp32 values.
#include "amp/precision.h"

#include <ATen/autocast_mode.h>

#include "core/error.h"

namespace fsllm::amp {

AutocastGuard::AutocastGuard(Precision precision, torch::Device device) {
  if (precision == Precision::kFp32) return;
  cuda_ = device.is_cuda();
  const auto dtype = precision == Precision::kBf16 ? at::kBFloat16 : at::kHalf;
  if (!cuda_) {
    FSLLM_CHECK(precision != Precision::kFp16, ErrorCode::kUnsupported,
                "precision 'fp16' needs a CUDA device; on CPU use 'bf16' or 'fp32'");
    prev_enabled_ = at::autocast::is_cpu_enabled();
    prev_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    prev_enabled_ = at::autocast::is_enabled();
    prev_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_enabled(true);
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
  at::autocast::increment_nesting();
  active_ = true;
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (!cuda_) {
    at::autocast::set_cpu_enabled(prev_enabled_);
    at::autocast::set_autocast_cpu_dtype(prev_dtype_);
  } else {
    at::autocast::set_enabled(prev_enabled_);
    at::autocast::set_autocast_gpu_dtype(prev_dtype_);
  }
}

}  // namespace fsllm::amp
