// SPDX-License-Identifier: Apache-2.0
// Test entry points that run one kernel of csrc/kernels on tensors from JS, next to the plain libtorch
// formula it replaces, so tests can compare values and gradients at the kernel's own edges (shapes the
// committed models never reach). Not part of the library's API.
#pragma once

#include <napi.h>

namespace fsllm::bindings {

// Adds attentionProbe to `exports`.
void register_kernel_probes(Napi::Env env, Napi::Object exports);

}  // namespace fsllm::bindings
