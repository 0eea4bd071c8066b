// SPDX-License-Identifier: Apache-2.0
// See device.h.
#include "core/device.h"

#include <regex>

#include <torch/cuda.h>

#include "core/error.h"

namespace fsllm {

c10::Device resolve_device(const std::string& name) {
  // c10::Device accepts more spellings (mps, xla, ...) than this core is written for: only CPU and CUDA.
  static const std::regex pattern("cpu|cuda(:(0|[1-9][0-9]{0,2}))?");
  FSLLM_CHECK(std::regex_match(name, pattern), ErrorCode::kInvalidArg,
              "Expected 'cpu', 'cuda' or 'cuda:N' for device but received '" + name + "'");
  c10::Device device(name);
  if (device.is_cpu()) return device;
  FSLLM_CHECK(torch::cuda::is_available(), ErrorCode::kUnsupported,
              "device '" + name + "' is not available: this libtorch has no CUDA support or sees no GPU. "
              "Use device 'cpu', or build fsllm-native against a CUDA libtorch (LIBTORCH=/path/to/libtorch npm install)");
  const auto count = static_cast<int64_t>(torch::cuda::device_count());
  FSLLM_CHECK(!device.has_index() || device.index() < count, ErrorCode::kUnsupported,
              "device '" + name + "' is not available: this machine has " + std::to_string(count) + " CUDA device(s)");
  return device;
}

}  // namespace fsllm
