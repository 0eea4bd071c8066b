// SPDX-License-Identifier: Apache-2.0
// JS surface of the server's aggregation kernels (csrc/aggregate): every call is one job on the executor
// thread over buffers the job pins; lib/native/aggregateKernels.ts types them.
#pragma once

#include <napi.h>

namespace fsllm::bindings {

// Adds aggregateAccumulate, aggregateFinishMean, aggregateRule, aggregateNormBound and serverOptimizerStep.
void register_aggregate(Napi::Env env, Napi::Object exports);

}  // namespace fsllm::bindings
