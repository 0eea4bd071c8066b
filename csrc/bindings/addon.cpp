// SPDX-License-Identifier: Apache-2.0
// Module init: per-environment AddonData with its executor thread, the exported classes and functions,
// and process-wide libtorch setup done once.
#include <napi.h>

#include <chrono>
#include <cmath>
#include <mutex>

#include "bindings/addon_data.h"
#include "bindings/aggregate_wrap.h"
#include "bindings/codec_wrap.h"
#include "bindings/errors.h"
#include "bindings/jobs/function_job.h"
#include "bindings/kernel_probe.h"
#include "bindings/model_wrap.h"
#include "bindings/options.h"
#include "bindings/replica_group_wrap.h"
#include "bindings/session_wrap.h"
#include "core/cpu_block_cache.h"
#include "core/fork_gate.h"
#include "core/runtime.h"
#include "io/tensor_loader.h"

namespace fsllm::bindings {

namespace {

std::once_flag g_torch_setup;

// binding.initialize({ FsllmError }): JS hands over the error class native code instantiates.
Napi::Value Initialize(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto opts = expect_object(env, info[0], "initialize options");
  auto* data = env.GetInstanceData<AddonData>();
  if (opts.Get("FsllmError").IsFunction()) data->error_class = Napi::Persistent(opts.Get("FsllmError").As<Napi::Function>());
  return env.Undefined();
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!info[0].IsNumber() || info[0].As<Napi::Number>().Int32Value() < 0) {
    throw_invalid_arg(env, "Expected a non-negative integer for threads (0 = all cores)");
  }
  return Napi::Number::New(env, configure_threads(info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value RuntimeInfoJs(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto ri = runtime_info();
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", ri.torch_version);
  o.Set("blas", ri.blas);
  o.Set("cudaAvailable", ri.cuda_available);
  o.Set("threads", ri.threads);
  return o;
}

// binding.cpuCache(limitBytes?) -> {cachedBytes, liveBytes, limitBytes, hits, misses}: the caching CPU
// allocator's counters; a number sets its limit first (0 frees every cached block and stops caching).
Napi::Value CpuCache(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    const double limit = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1.0;
    if (!(limit >= 0.0) || limit != std::floor(limit)) throw_invalid_arg(env, "Expected a non-negative integer for limitBytes");
    set_cpu_block_cache_limit(static_cast<size_t>(limit));
  }
  const auto s = cpu_block_cache_stats();
  auto o = Napi::Object::New(env);
  o.Set("cachedBytes", static_cast<double>(s.cached_bytes));
  o.Set("liveBytes", static_cast<double>(s.live_bytes));
  o.Set("limitBytes", static_cast<double>(s.limit_bytes));
  o.Set("hits", static_cast<double>(s.hits));
  o.Set("misses", static_cast<double>(s.misses));
  return o;
}

// binding.readTensors(sources) -> Promise<{[name]: Float32Array}>: decodes checkpoint tensors (tests, tools).
Napi::Value ReadTensors(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto sources = guard_sync(env, "readTensors", [&] { return parse_tensor_sources(env, info[0]); });
  auto result = std::make_shared<std::unordered_map<std::string, torch::Tensor>>();
  auto job = std::make_unique<FunctionJob>(env, "readTensors");
  job->work = [sources, result] { *result = io::load_tensors(sources, torch::kFloat32); };
  job->resolve = [result](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    for (auto& kv : *result) o.Set(kv.first, to_float32_array(env, kv.second));
    return o;
  };
  return Executor::Submit(env, std::move(job));
}

// binding.gemmRate(m, k, n, iterations) -> Promise<{gflops, ms}>: fp32 (m,k)@(k,n) on the executor
// thread with the current intra-op threads, so benchmarks can relate a step's FLOP/s to this libtorch.
Napi::Value GemmRate(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  int64_t dims[4];
  for (int i = 0; i < 4; ++i) {
    if (!info[i].IsNumber() || info[i].As<Napi::Number>().Int64Value() < 1) {
      throw_invalid_arg(env, "Expected positive integers for gemmRate(m, k, n, iterations)");
    }
    dims[i] = info[i].As<Napi::Number>().Int64Value();
  }
  auto result = std::make_shared<std::pair<double, double>>();
  auto job = std::make_unique<FunctionJob>(env, "gemmRate");
  job->work = [m = dims[0], k = dims[1], n = dims[2], iters = dims[3], result] {
    torch::NoGradGuard no_grad;
    auto a = torch::randn({m, k});
    auto b = torch::randn({k, n});
    auto c = torch::matmul(a, b);  // warm-up
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < iters; ++i) c = torch::matmul(a, b);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / iters;
    *result = {2.0 * m * k * n / (ms * 1e6), ms};
  };
  job->resolve = [result](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("gflops", result->first);
    o.Set("ms", result->second);
    return o;
  };
  return Executor::Submit(env, std::move(job));
}

// binding.manualSeed(seed) -> Promise<void>: seeds libtorch's default generators (CPU, and CUDA when
// present), which LoRA dropout draws from. Runs on the executor so it takes effect after the jobs queued
// before it. The default generator is process-wide libtorch state: environments (worker threads) that
// train concurrently share it, so exact replay needs one training environment per process.
Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER
  const double seed = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1.0;
  if (!(seed >= 0.0 && seed <= kMaxSafeInteger) || seed != std::floor(seed)) {
    throw_invalid_arg(env, "Expected a non-negative safe integer for seed");
  }
  auto job = std::make_unique<FunctionJob>(env, "manualSeed");
  job->work = [value = static_cast<uint64_t>(seed)] { torch::manual_seed(value); };
  return Executor::Submit(env, std::move(job));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  std::call_once(g_torch_setup, [] {
    configure_threads(0);
    install_cpu_block_cache();
    install_fork_gate();  // after libtorch's BLAS registered its own fork handler (see core/fork_gate.h)
  });
  auto* data = new AddonData();
  data->executor = std::make_unique<Executor>();
  env.SetInstanceData<AddonData>(data);  // deleted (executor joined) at env teardown
  auto model_class = ModelWrap::Define(env);
  auto session_class = SessionWrap::Define(env);
  data->model_class = Napi::Persistent(model_class);
  data->session_class = Napi::Persistent(session_class);
  auto replica_group_class = ReplicaGroupWrap::Define(env);
  data->replica_group_class = Napi::Persistent(replica_group_class);
  exports.Set("ReplicaGroup", replica_group_class);
  exports.Set("openReplicaGroup", Napi::Function::New<ReplicaGroupWrap::Open>(env, "openReplicaGroup"));
  exports.Set("Model", model_class);
  exports.Set("TrainSession", session_class);
  exports.Set("initialize", Napi::Function::New<Initialize>(env, "initialize"));
  exports.Set("loadModel", Napi::Function::New<ModelWrap::Load>(env, "loadModel"));
  exports.Set("createSession", Napi::Function::New<SessionWrap::Create>(env, "createSession"));
  exports.Set("readTensors", Napi::Function::New<ReadTensors>(env, "readTensors"));
  exports.Set("setNumThreads", Napi::Function::New<SetNumThreads>(env, "setNumThreads"));
  exports.Set("runtimeInfo", Napi::Function::New<RuntimeInfoJs>(env, "runtimeInfo"));
  exports.Set("gemmRate", Napi::Function::New<GemmRate>(env, "gemmRate"));
  exports.Set("cpuCache", Napi::Function::New<CpuCache>(env, "cpuCache"));
  exports.Set("manualSeed", Napi::Function::New<ManualSeed>(env, "manualSeed"));
  register_codec(env, exports);
  register_aggregate(env, exports);
  register_kernel_probes(env, exports);
  return exports;
}

}  // namespace

}  // namespace fsllm::bindings

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return fsllm::bindings::Init(env, exports); }

NODE_API_MODULE(fsllm_native, InitAddon)
