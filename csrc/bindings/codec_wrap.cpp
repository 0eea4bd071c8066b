// SPDX-License-Identifier: Apache-2.0
// The codec kernels are O(n) memory passes (≈ 5 ms for the 4.2 M values of a LLaMA-7B r=8 q/v adapter), so
// they run off the JS thread. They use the per-env executor (FunctionJob) rather than a libuv worker: one job
// pattern and one error path. The cost is that a codec job queues behind a model job of the same environment;
// a client encodes after its step anyway, and the tasks of a whole frame go in one job.
#include "bindings/codec_wrap.h"

#include <memory>
#include <string>
#include <vector>

#include "bindings/errors.h"
#include "bindings/jobs/function_job.h"
#include "bindings/options.h"
#include "comm/quantize.h"

namespace fsllm::bindings {

namespace {

struct CodecTask {
  comm::Codec codec;
  size_t group;
  size_t count;
  ArrayView values;    // float32
  ArrayView bytes;     // uint8
  ArrayView residual;  // float32; data == nullptr when absent
};

size_t parse_group(Napi::Object task, const std::string& path, comm::Codec codec) {
  const int64_t group = get_int(task, "groupSize", path, 64);
  if (group < 1 || (codec == comm::Codec::kInt4 && group % 2 != 0)) {
    throw_invalid_arg(task.Env(), "Expected a positive (for int4, even) integer for " + path + ".groupSize but received " +
                                      std::to_string(group));
  }
  return static_cast<size_t>(group);
}

// tasks: [{ codec, groupSize, values: Float32Array, bytes: Uint8Array, residual?: Float32Array }]
std::vector<CodecTask> parse_tasks(Napi::Env env, Napi::Value value, FunctionJob& job, bool encoding) {
  if (!value.IsArray()) throw_invalid_arg(env, "Expected an array of codec tasks");
  auto array = value.As<Napi::Array>();
  std::vector<CodecTask> tasks;
  tasks.reserve(array.Length());
  for (uint32_t k = 0; k < array.Length(); ++k) {
    const std::string path = "tasks[" + std::to_string(k) + "]";
    auto task = expect_object(env, array.Get(k), path);
    CodecTask t;
    t.codec = guard_sync(env, "codec", [&] { return comm::parse_codec(get_string(task, "codec", path, "")); });
    t.group = parse_group(task, path, t.codec);
    auto values = expect_typed_array(env, task.Get("values"), napi_float32_array, "a Float32Array", path + ".values");
    t.count = values.ElementLength();
    const size_t nbytes = comm::encoded_bytes(t.codec, t.count, t.group);
    auto bytes = expect_typed_array(env, task.Get("bytes"), napi_uint8_array, "a Uint8Array", path + ".bytes",
                                    static_cast<int64_t>(nbytes));
    t.values = job.pin(values);
    t.bytes = job.pin(bytes);
    auto residual = task.Get("residual");
    if (encoding && !residual.IsUndefined() && !residual.IsNull()) {
      t.residual = job.pin(expect_typed_array(env, residual, napi_float32_array, "a Float32Array", path + ".residual",
                                              static_cast<int64_t>(t.count)));
    }
    tasks.push_back(t);
  }
  return tasks;
}

// codecEncode(tasks) -> Promise<void>: writes each task's bytes from its values (+ residual, updated in place).
Napi::Value CodecEncode(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "codecEncode");
  auto tasks = parse_tasks(env, info[0], *job, true);
  job->work = [tasks] {
    for (const auto& t : tasks) {
      comm::encode(t.codec, static_cast<const float*>(t.values.data), t.count, t.group, static_cast<uint8_t*>(t.bytes.data),
                   static_cast<float*>(t.residual.data));
    }
  };
  return Executor::Submit(env, std::move(job));
}

// codecDecode(tasks) -> Promise<void>: writes each task's values from its bytes.
Napi::Value CodecDecode(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "codecDecode");
  auto tasks = parse_tasks(env, info[0], *job, false);
  job->work = [tasks] {
    for (const auto& t : tasks) {
      comm::decode(t.codec, static_cast<const uint8_t*>(t.bytes.data), t.count, t.group, static_cast<float*>(t.values.data));
    }
  };
  return Executor::Submit(env, std::move(job));
}

// codecBytes(codec, count, groupSize) -> number (sync).
Napi::Value CodecBytes(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!info[0].IsString()) throw_invalid_arg(env, "Expected a codec name for codecBytes(codec, count, groupSize)");
  auto codec = guard_sync(env, "codecBytes", [&] { return comm::parse_codec(info[0].As<Napi::String>().Utf8Value()); });
  const double count = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1.0;
  const double group = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : -1.0;
  if (!(count >= 0) || count != static_cast<double>(static_cast<int64_t>(count)) || !(group >= 1) ||
      group != static_cast<double>(static_cast<int64_t>(group))) {
    throw_invalid_arg(env, "Expected a non-negative integer count and a positive integer groupSize for codecBytes");
  }
  return Napi::Number::New(env, static_cast<double>(comm::encoded_bytes(codec, static_cast<size_t>(count), static_cast<size_t>(group))));
}

}  // namespace

void register_codec(Napi::Env env, Napi::Object exports) {
  exports.Set("codecEncode", Napi::Function::New<CodecEncode>(env, "codecEncode"));
  exports.Set("codecDecode", Napi::Function::New<CodecDecode>(env, "codecDecode"));
  exports.Set("codecBytes", Napi::Function::New<CodecBytes>(env, "codecBytes"));
}

}  // namespace fsllm::bindings
