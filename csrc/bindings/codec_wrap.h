// SPDX-License-Identifier: Apache-2.0
// JS surface of the adapter wire codecs (csrc/comm/quantize): codecEncode / codecDecode run a batch of
// per-tensor tasks as one job on the executor thread; codecBytes is a sync size query.
#pragma once

#include <napi.h>

namespace fsllm::bindings {

// Adds codecEncode, codecDecode and codecBytes to `exports`.
void register_codec(Napi::Env env, Napi::Object exports);

}  // namespace fsllm::bindings
