// SPDX-License-Identifier: Apache-2.0
// The adapter methods of ModelWrap (attach, detach, merge, trainable layers, export and import of the
// adapter state); see model_wrap.h. The rest of the wrap is in model_wrap.cpp.
#include "bindings/model_wrap.h"

#include "bindings/addon_data.h"
#include "bindings/errors.h"
#include "bindings/jobs/function_job.h"
#include "bindings/options.h"
#include "core/error.h"
#include "peft/adapter_state.h"
#include "peft/inject.h"

namespace fsllm::bindings {

Napi::Value manifest_to_js(Napi::Env env, model::CausalLmImpl& model) {
  auto entries = peft::manifest(model);
  auto arr = Napi::Array::New(env, entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    auto o = Napi::Object::New(env);
    o.Set("name", entries[i].name);
    auto shape = Napi::Array::New(env, entries[i].shape.size());
    for (size_t j = 0; j < entries[i].shape.size(); ++j) shape.Set(j, Napi::Number::New(env, entries[i].shape[j]));
    o.Set("shape", shape);
    o.Set("offset", Napi::Number::New(env, entries[i].offset));
    arr.Set(i, o);
  }
  return arr;
}

Napi::Value ModelWrap::AttachLora(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto cfg = parse_lora_config(expect_object(env, info[0], "lora"));
  auto job = std::make_unique<FunctionJob>(env, "attachLora");
  auto model = acquire(env, "attachLora()");
  auto adapted = std::make_shared<std::vector<std::string>>();
  job->work = [model, cfg, adapted] { *adapted = peft::inject_lora(*model, cfg); };
  job->resolve = [model, adapted](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("modules", strings_to_js(env, *adapted));
    o.Set("manifest", manifest_to_js(env, *model));
    return o;
  };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::DetachLora(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "detachLora");
  auto model = acquire(env, "detachLora()");
  job->work = [model] { peft::remove_lora(*model); };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::AttachPrompt(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto cfg = parse_prompt_config(expect_object(env, info[0], "prompt"));
  auto job = std::make_unique<FunctionJob>(env, "attachPrompt");
  auto model = acquire(env, "attachPrompt()");
  job->work = [model, cfg] { model->attach_prompt(cfg); };
  job->resolve = [model](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("manifest", manifest_to_js(env, *model));
    return o;
  };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::DetachPrompt(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "detachPrompt");
  auto model = acquire(env, "detachPrompt()");
  job->work = [model] { model->detach_prompt(); };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::PromptEmbeddings(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "promptEmbeddings");
  auto model = acquire(env, "promptEmbeddings()");
  auto out = std::make_shared<torch::Tensor>();
  job->work = [model, out] {
    auto encoder = model->prompt_encoder();
    FSLLM_CHECK(encoder, ErrorCode::kInvalidArg, "The model has no prompt attached; call attachPrompt() first");
    torch::NoGradGuard no_grad;
    // Eval mode for this one pass (no LSTM dropout), whatever mode the last step left.
    const bool training = encoder->is_training();
    encoder->eval();
    *out = encoder->forward().to(torch::kCPU, torch::kFloat32).contiguous();
    if (training) encoder->train();
  };
  job->resolve = [out](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("data", to_float32_array(env, *out));
    auto shape = Napi::Array::New(env, 2);
    shape.Set(0u, Napi::Number::New(env, static_cast<double>(out->size(0))));
    shape.Set(1u, Napi::Number::New(env, static_cast<double>(out->size(1))));
    o.Set("shape", shape);
    return o;
  };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::MergeLora(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!info[0].IsBoolean()) throw_invalid_arg(env, "Expected a boolean for merge");
  const bool merge = info[0].As<Napi::Boolean>().Value();
  auto job = std::make_unique<FunctionJob>(env, "mergeLora");
  auto model = acquire(env, "mergeLora()");
  job->work = [model, merge] { peft::merge_lora(*model, merge); };
  return submit(env, std::move(job));
}

// The range of each index and the merged state are checked on the executor (peft::set_layers_trainable).
Napi::Value ModelWrap::SetLayersTrainable(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string expected = "Expected a non-empty array of integer layer indices for layers";
  if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0) throw_invalid_arg(env, expected);
  auto arr = info[0].As<Napi::Array>();
  std::vector<int64_t> layers;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto item = arr.Get(i);
    const double d = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(d >= 0.0) || d != std::floor(d)) throw_invalid_arg(env, expected);
    layers.push_back(static_cast<int64_t>(d));
  }
  if (!info[1].IsBoolean()) throw_invalid_arg(env, "Expected a boolean for trainable");
  const bool trainable = info[1].As<Napi::Boolean>().Value();
  auto job = std::make_unique<FunctionJob>(env, "setLayersTrainable");
  auto model = acquire(env, "setLayersTrainable()");
  auto count = std::make_shared<int64_t>(0);
  job->work = [model, layers, trainable, count] { *count = peft::set_layers_trainable(*model, layers, trainable); };
  job->resolve = [count](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("parameters", Napi::Number::New(env, static_cast<double>(*count)));
    return o;
  };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::ExportAdapter(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "exportAdapter");
  auto model = acquire(env, "exportAdapter()");
  auto flat = std::make_shared<torch::Tensor>();
  job->work = [model, flat] { *flat = peft::export_flat(*model); };
  job->resolve = [model, flat](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("data", to_float32_array(env, *flat));
    o.Set("manifest", manifest_to_js(env, *model));
    return o;
  };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::ImportAdapter(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "importAdapter");
  auto data = job->pin(expect_typed_array(env, info[0], napi_float32_array, "a Float32Array", "adapter data"));
  auto model = acquire(env, "importAdapter()");
  job->work = [model, data] { peft::import_flat(*model, data.view(torch::kFloat32, {static_cast<int64_t>(data.length)})); };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::ImportAdapterTensors(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!info[0].IsArray()) throw_invalid_arg(env, "Expected an array of {name, shape, data} for adapter tensors");
  auto arr = info[0].As<Napi::Array>();
  struct Named {
    std::string name;
    std::vector<int64_t> shape;
    ArrayView data;
  };
  auto job = std::make_unique<FunctionJob>(env, "importAdapterTensors");
  std::vector<Named> items;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const std::string p = "tensors[" + std::to_string(i) + "]";
    auto o = expect_object(env, arr.Get(i), p);
    Named n{get_string(o, "name", p, ""), {}, {}};
    if (!o.Get("shape").IsArray()) throw_invalid_arg(env, "Expected an array of integers for " + p + ".shape");
    auto shape = o.Get("shape").As<Napi::Array>();
    int64_t count = 1;
    for (uint32_t j = 0; j < shape.Length(); ++j) count *= n.shape.emplace_back(shape.Get(j).As<Napi::Number>().Int64Value());
    n.data = job->pin(expect_typed_array(env, o.Get("data"), napi_float32_array, "a Float32Array", p + ".data", count));
    items.push_back(std::move(n));
  }
  auto model = acquire(env, "importAdapterTensors()");
  job->work = [model, items] {
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (auto& n : items) tensors.emplace_back(n.name, n.data.view(torch::kFloat32, n.shape));
    peft::import_named(*model, tensors);
  };
  return submit(env, std::move(job));
}

}  // namespace fsllm::bindings
