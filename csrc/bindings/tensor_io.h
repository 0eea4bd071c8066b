// SPDX-License-Identifier: Apache-2.0
// TypedArray <-> tensor without copies where possible. Inputs are pinned with a Napi::Reference for the
// life of the job (callers must not mutate them until the promise settles); outputs hand a tensor's
// storage to V8 as an external ArrayBuffer whose finalizer frees it.
#pragma once

#include <napi.h>

#include <vector>

namespace fsllm::bindings {

// Where a TypedArray's elements are. Copyable; valid only while a job pins the array (FunctionJob::pin).
struct ArrayView {
  void* data = nullptr;
  size_t length = 0;  // elements
  // A CPU tensor over the bytes (no copy); must not outlive the job.
  torch::Tensor view(at::ScalarType dtype, at::IntArrayRef shape) const;
};

ArrayView view_of(Napi::TypedArray array);

// Checks `value` is a TypedArray of `type` (and `length` elements when >= 0); names `field` otherwise.
Napi::TypedArray expect_typed_array(Napi::Env env, Napi::Value value, napi_typedarray_type type,
                                    const char* type_name, const std::string& field, int64_t length = -1);

// A Float32Array owning `tensor`'s storage (made CPU-contiguous fp32 first; copied only when needed).
Napi::Value to_float32_array(Napi::Env env, torch::Tensor tensor);
Napi::Value to_int32_array(Napi::Env env, const std::vector<int64_t>& values);

}  // namespace fsllm::bindings
