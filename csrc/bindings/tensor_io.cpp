// SPDX-License-Identifier: Apache-2.0
// TypedArray/tensor conversion; see tensor_io.h.
#include "bindings/tensor_io.h"

#include <cstring>

#include "bindings/addon_data.h"
#include "bindings/errors.h"

namespace fsllm::bindings {

ArrayView view_of(Napi::TypedArray array) {
  return {static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset(), array.ElementLength()};
}

torch::Tensor ArrayView::view(at::ScalarType dtype, at::IntArrayRef shape) const {
  return torch::from_blob(data, shape, torch::TensorOptions().dtype(dtype));
}

Napi::TypedArray expect_typed_array(Napi::Env env, Napi::Value value, napi_typedarray_type type,
                                    const char* type_name, const std::string& field, int64_t length) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw_invalid_arg(env, std::string("Expected ") + type_name + " for " + field);
  }
  auto array = value.As<Napi::TypedArray>();
  if (length >= 0 && static_cast<int64_t>(array.ElementLength()) != length) {
    throw_invalid_arg(env, "Expected " + std::to_string(length) + " elements in " + field + " but received " +
                               std::to_string(array.ElementLength()));
  }
  return array;
}

Napi::Value to_float32_array(Napi::Env env, torch::Tensor tensor) {
  auto* holder = new torch::Tensor(tensor.to(torch::kCPU, torch::kFloat32).contiguous());
  const size_t count = holder->numel();
  auto* data = env.GetInstanceData<AddonData>();
  Napi::ArrayBuffer buffer;
  if (count > 0 && data != nullptr && data->external_buffers_ok) {
    buffer = Napi::ArrayBuffer::New(env, holder->data_ptr(), holder->nbytes(),
                                    [](Napi::Env, void*, torch::Tensor* t) { delete t; }, holder);
  } else {
    buffer = Napi::ArrayBuffer::New(env, holder->nbytes());
    if (count > 0) std::memcpy(buffer.Data(), holder->data_ptr(), holder->nbytes());
    delete holder;
  }
  return Napi::Float32Array::New(env, count, buffer, 0);
}

Napi::Value to_int32_array(Napi::Env env, const std::vector<int64_t>& values) {
  auto out = Napi::Int32Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = static_cast<int32_t>(values[i]);
  return out;
}

}  // namespace fsllm::bindings
