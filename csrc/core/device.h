// SPDX-License-Identifier: Apache-2.0
// The device a model lives on, from the user's string ("cpu", "cuda", "cuda:N"). Everything else in the
// core follows the model's weights: batches, activations, LoRA factors and optimizer state are created
// where those are, and results come back to the host.
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace fsllm {

// Parses and checks `name`: kInvalidArg for a string that names no device, kUnsupported for a device this
// libtorch build or machine does not have (a CPU-only build asked for CUDA, or cuda:N past the count).
c10::Device resolve_device(const std::string& name);

}  // namespace fsllm
