// SPDX-License-Identifier: Apache-2.0
// Model wrap: argument parsing on the JS thread, work on the executor; see model_wrap.h. Loading and
// forward passes are here; the adapter methods are in model_wrap_adapter.cpp, generation in model_wrap_generate.cpp.
#include "bindings/model_wrap.h"

#include <cmath>

#include "bindings/addon_data.h"
#include "bindings/batch_io.h"
#include "bindings/errors.h"
#include "bindings/jobs/function_job.h"
#include "bindings/options.h"
#include "core/cpu_block_cache.h"
#include "core/device.h"
#include "io/tensor_loader.h"
#include "train/eval_step.h"
#include "model/weights.h"
#include "peft/adapter_state.h"
#include "peft/inject.h"
#include "train/align_step.h"

namespace fsllm::bindings {

namespace {
using ModelPtr = std::shared_ptr<model::CausalLmImpl>;
}  // namespace

Napi::Value strings_to_js(Napi::Env env, const std::vector<std::string>& items) {
  auto arr = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) arr.Set(i, items[i]);
  return arr;
}

Napi::Function ModelWrap::Define(Napi::Env env) {
  return DefineClass(env, "Model",
                     {InstanceMethod<&ModelWrap::AttachLora>("attachLora"),
                      InstanceMethod<&ModelWrap::DetachLora>("detachLora"),
                      InstanceMethod<&ModelWrap::AttachPrompt>("attachPrompt"),
                      InstanceMethod<&ModelWrap::DetachPrompt>("detachPrompt"),
                      InstanceMethod<&ModelWrap::PromptEmbeddings>("promptEmbeddings"),
                      InstanceMethod<&ModelWrap::MergeLora>("mergeLora"),
                      InstanceMethod<&ModelWrap::SetLayersTrainable>("setLayersTrainable"),
                      InstanceMethod<&ModelWrap::ExportAdapter>("exportAdapter"),
                      InstanceMethod<&ModelWrap::ImportAdapter>("importAdapter"),
                      InstanceMethod<&ModelWrap::ImportAdapterTensors>("importAdapterTensors"),
                      InstanceMethod<&ModelWrap::Logits>("logits"),
                      InstanceMethod<&ModelWrap::NextTokenLogits>("nextTokenLogits"),
                      InstanceMethod<&ModelWrap::HiddenAt>("hiddenAt"),
                      InstanceMethod<&ModelWrap::EvalLoss>("evalLoss"),
                      InstanceMethod<&ModelWrap::Generate>("generate"),
                      InstanceMethod<&ModelWrap::StopGeneration>("stopGeneration"),
                      InstanceMethod<&ModelWrap::Info>("info"),
                      InstanceMethod<&ModelWrap::Dispose>("dispose")});
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw_invalid_arg(info.Env(), "Model cannot be constructed directly; use loadModel()");
  }
  model_ = *info[0].As<Napi::External<ModelPtr>>().Data();
  for (auto& p : model_->parameters()) {
    num_parameters_ += p.numel();
    base_bytes_ += p.numel() * static_cast<int64_t>(p.element_size());
  }
  // Projections stored below fp32 hold their base as a buffer, not a parameter.
  for (auto& [name, linear] : model_->projections()) {
    if (!linear->base_frozen()) continue;
    num_parameters_ += linear->base_numel();
    base_bytes_ += linear->base_bytes();
  }
}

std::shared_ptr<model::CausalLmImpl> ModelWrap::acquire(Napi::Env env, const char* operation) {
  if (!model_) {
    throw_coded(env, "ERR_FSLLM_DISPOSED", "Model is disposed; load a new Model");
  }
  if (busy_) {
    throw_coded(env, "ERR_FSLLM_BUSY", std::string("Model is busy: await the previous call before ") + operation);
  }
  busy_ = true;
  return model_;
}

Napi::Value ModelWrap::submit(Napi::Env env, std::unique_ptr<FunctionJob> job) {
  Ref();
  job->on_cleanup([this] {
    release();
    Unref();
  });
  return Executor::Submit(env, std::move(job));
}

Napi::Value ModelWrap::Load(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto config = parse_model_config(expect_object(env, info[0], "config"));
  auto sources = guard_sync(env, "loadModel", [&] { return parse_tensor_sources(env, info[1]); });
  const auto options = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  const auto device_name = get_string(options, "device", "options", "cpu");
  const auto base = guard_sync(env, "loadModel", [&] { return quant::parse_base_dtype(get_string(options, "baseDtype", "options", "fp32")); });
  auto result = std::make_shared<ModelPtr>();
  auto unexpected = std::make_shared<std::vector<std::string>>();
  auto job = std::make_unique<FunctionJob>(env, "loadModel");
  job->work = [config, sources, device_name, base, result, unexpected] {
    // Checked before any weight is read: asking a CPU-only build for CUDA fails at once.
    const auto device = resolve_device(device_name);
    auto model = model::make_causal_lm(config);
    *unexpected = model::load_weights(*model, sources, base).unexpected;
    // Each tensor was decoded once, into blocks no training step reuses: keeping them cached would cost
    // more memory than a base below fp32 saves.
    fsllm::release_cpu_block_cache();
    if (!device.is_cpu()) model->to(device);
    *result = model;
  };
  job->resolve = [result, unexpected](Napi::Env env) -> Napi::Value {
    auto* data = env.GetInstanceData<AddonData>();
    auto obj = data->model_class.New({Napi::External<ModelPtr>::New(env, result.get())});
    obj.Set("unexpectedKeys", strings_to_js(env, *unexpected));
    return obj;
  };
  return Executor::Submit(env, std::move(job));
}

Napi::Value ModelWrap::Logits(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto precision = parse_precision(info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env), "options");
  auto job = std::make_unique<FunctionJob>(env, "logits");
  auto batch = parse_batch(env, info[0], "batch", *job);
  auto model = acquire(env, "logits()");
  auto out = std::make_shared<torch::Tensor>();
  job->work = [model, batch, out, precision] { *out = train::forward_logits(*model, batch.to_tensors(model->device()), precision); };
  job->resolve = [out](Napi::Env env) { return to_float32_array(env, *out); };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::NextTokenLogits(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto ids = expect_typed_array(env, info[1], napi_int32_array, "an Int32Array", "candidates").As<Napi::Int32Array>();
  std::vector<int64_t> candidates(ids.Data(), ids.Data() + ids.ElementLength());
  auto precision = parse_precision(info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env), "options");
  auto job = std::make_unique<FunctionJob>(env, "nextTokenLogits");
  auto batch = parse_batch(env, info[0], "batch", *job);
  auto model = acquire(env, "nextTokenLogits()");
  auto out = std::make_shared<torch::Tensor>();
  job->work = [model, batch, candidates = std::move(candidates), out, precision] {
    *out = train::next_token_logits(*model, batch.to_tensors(model->device()), candidates, precision);
  };
  job->resolve = [out](Napi::Env env) { return to_float32_array(env, *out); };
  return submit(env, std::move(job));
}

// hiddenAt(batch, tap, {precision}) -> Promise<Float32Array> (B, T, D): the residual stream after `tap` blocks.
Napi::Value ModelWrap::HiddenAt(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!info[1].IsNumber()) throw_invalid_arg(env, "Expected an integer for tap");
  const double tap = info[1].As<Napi::Number>().DoubleValue();
  if (tap != static_cast<double>(static_cast<int64_t>(tap))) throw_invalid_arg(env, "Expected an integer for tap");
  auto precision = parse_precision(info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env), "options");
  auto job = std::make_unique<FunctionJob>(env, "hiddenAt");
  auto batch = parse_batch(env, info[0], "batch", *job);
  auto model = acquire(env, "hiddenAt()");
  auto out = std::make_shared<torch::Tensor>();
  job->work = [model, batch, out, precision, tap = static_cast<int64_t>(tap)] {
    *out = train::hidden_at(*model, batch.to_tensors(model->device()), tap, precision);
  };
  job->resolve = [out](Napi::Env env) { return to_float32_array(env, *out); };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::EvalLoss(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto precision = parse_precision(info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env), "options");
  auto job = std::make_unique<FunctionJob>(env, "evalLoss");
  auto batches = parse_batches(env, info[0], *job);
  auto model = acquire(env, "evalLoss()");
  auto result = std::make_shared<train::EvalMetrics>();
  job->work = [model, batches, result, precision] {
    *result = train::eval_step(*model, to_tensors(batches, model->device()), precision);
  };
  job->resolve = [result](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("lossSum", result->loss_sum);
    o.Set("tokens", Napi::Number::New(env, static_cast<double>(result->target_tokens)));
    return o;
  };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::Info(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("numParameters", Napi::Number::New(env, static_cast<double>(num_parameters_)));
  // LoRA factors are not counted here: they exist only once an adapter is attached, and stay fp32.
  o.Set("baseBytes", Napi::Number::New(env, static_cast<double>(base_bytes_)));
  o.Set("disposed", Napi::Boolean::New(env, !model_));
  if (model_) o.Set("device", Napi::String::New(env, model_->device().str()));
  return o;
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (busy_) throw_coded(env, "ERR_FSLLM_BUSY", "Model is busy: await the running call before dispose()");
  model_.reset();
  return env.Undefined();
}

}  // namespace fsllm::bindings
