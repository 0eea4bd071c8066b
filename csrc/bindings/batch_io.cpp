// SPDX-License-Identifier: Apache-2.0
// Micro-batch parsing; see batch_io.h.
#include "bindings/batch_io.h"

#include "bindings/errors.h"
#include "bindings/options.h"

namespace fsllm::bindings {

train::MicroBatch BatchView::to_tensors(const torch::Device& device) const {
  train::MicroBatch b;
  b.ids = ids.view(torch::kInt32, {batch, seq}).to(device, torch::kInt64);
  b.labels = has_labels ? labels.view(torch::kInt32, {batch, seq}).to(device, torch::kInt64) : b.ids.clone();
  b.mask = mask.view(torch::kUInt8, {batch, seq}).to(device, torch::kBool);
  if (has_segments) b.segments = segments.view(torch::kInt32, {batch, seq}).to(device, torch::kInt64);
  return b;
}

std::vector<train::MicroBatch> to_tensors(const std::vector<BatchView>& batches, const torch::Device& device) {
  std::vector<train::MicroBatch> out;
  for (const auto& b : batches) out.push_back(b.to_tensors(device));
  return out;
}

BatchView parse_batch(Napi::Env env, Napi::Value value, const std::string& path, FunctionJob& job) {
  auto o = expect_object(env, value, path);
  BatchView b;
  b.batch = get_int(o, "batch", path, 0);
  b.seq = get_int(o, "seq", path, 0);
  if (b.batch < 1 || b.seq < 1) throw_invalid_arg(env, "Expected positive integers for " + path + ".batch and .seq");
  const int64_t n = b.batch * b.seq;
  b.ids = job.pin(expect_typed_array(env, o.Get("ids"), napi_int32_array, "an Int32Array", path + ".ids", n));
  b.mask = job.pin(expect_typed_array(env, o.Get("attentionMask"), napi_uint8_array, "a Uint8Array",
                                      path + ".attentionMask", n));
  auto labels = o.Get("labels");
  if (!labels.IsUndefined() && !labels.IsNull()) {
    b.labels = job.pin(expect_typed_array(env, labels, napi_int32_array, "an Int32Array", path + ".labels", n));
    b.has_labels = true;
  }
  auto segments = o.Get("segmentIds");
  if (!segments.IsUndefined() && !segments.IsNull()) {
    b.segments = job.pin(expect_typed_array(env, segments, napi_int32_array, "an Int32Array", path + ".segmentIds", n));
    b.has_segments = true;
  }
  return b;
}

std::vector<BatchView> parse_batches(Napi::Env env, Napi::Value value, FunctionJob& job) {
  if (!value.IsArray()) throw_invalid_arg(env, "Expected an array of micro-batches");
  auto arr = value.As<Napi::Array>();
  std::vector<BatchView> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(parse_batch(env, arr.Get(i), "batches[" + std::to_string(i) + "]", job));
  return out;
}

}  // namespace fsllm::bindings
