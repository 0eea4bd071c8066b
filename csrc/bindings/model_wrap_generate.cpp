// SPDX-License-Identifier: Apache-2.0
// Model.generate and Model.stopGeneration: prompts copied out of V8 on the JS thread, the batched decoding
// loop (train/generate) on the executor, each step streamed back through a ThreadSafeFunction.
#include <napi.h>

#include "bindings/jobs/function_job.h"
#include "bindings/model_wrap.h"
#include "bindings/options.h"
#include "bindings/tensor_io.h"

namespace fsllm::bindings {

namespace {

// The prompts argument: a non-empty array of Int32Arrays, copied (they are small and this frees the job
// from pinning them).
std::vector<std::vector<int64_t>> parse_prompts(Napi::Env env, Napi::Value value) {
  if (!value.IsArray() || value.As<Napi::Array>().Length() == 0) {
    throw_invalid_arg(env, "Expected a non-empty array of Int32Arrays for prompts");
  }
  auto arr = value.As<Napi::Array>();
  std::vector<std::vector<int64_t>> prompts(arr.Length());
  for (uint32_t p = 0; p < arr.Length(); ++p) {
    auto ids = expect_typed_array(env, arr.Get(p), napi_int32_array, "an Int32Array", "prompts[" + std::to_string(p) + "]")
                   .As<Napi::Int32Array>();
    prompts[p].assign(ids.Data(), ids.Data() + ids.ElementLength());
  }
  return prompts;
}

// {rows: Int32Array, tokens: Int32Array, finished: [{row, reason}]} for the JS step listener.
Napi::Value step_to_js(Napi::Env env, const train::GenerateStep& step) {
  auto o = Napi::Object::New(env);
  o.Set("rows", to_int32_array(env, step.rows));
  o.Set("tokens", to_int32_array(env, step.tokens));
  auto finished = Napi::Array::New(env, step.finished.size());
  for (size_t i = 0; i < step.finished.size(); ++i) {
    auto f = Napi::Object::New(env);
    f.Set("row", Napi::Number::New(env, static_cast<double>(step.finished[i].first)));
    f.Set("reason", train::finish_reason_name(step.finished[i].second));
    finished.Set(i, f);
  }
  o.Set("finished", finished);
  return o;
}

Napi::Value rows_to_js(Napi::Env env, const std::vector<train::GeneratedRow>& rows) {
  auto out = Napi::Array::New(env, rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    auto o = Napi::Object::New(env);
    o.Set("prompt", Napi::Number::New(env, static_cast<double>(rows[r].prompt)));
    o.Set("sample", Napi::Number::New(env, static_cast<double>(rows[r].sample)));
    o.Set("ids", to_int32_array(env, rows[r].ids));
    o.Set("reason", train::finish_reason_name(rows[r].reason));
    out.Set(r, o);
  }
  return out;
}

// Sends each step to `tsfn` (heap payload, deleted on the JS thread or here if the call fails). A listener
// must never throw into native code: its error is dropped here by contract (TS catches its own).
std::function<void(const train::GenerateStep&)> stream_to(std::shared_ptr<Napi::ThreadSafeFunction> tsfn) {
  if (!tsfn) return {};
  return [tsfn](const train::GenerateStep& step) {
    auto* payload = new train::GenerateStep(step);
    auto status = tsfn->NonBlockingCall(payload, [](Napi::Env env, Napi::Function fn, train::GenerateStep* s) {
      try {
        fn.Call({step_to_js(env, *s)});
      } catch (...) {
        // Nothing may propagate into the TSFN machinery; the TS listener reports its own errors.
      }
      delete s;
    });
    if (status != napi_ok) delete payload;
  };
}

}  // namespace

Napi::Value ModelWrap::Generate(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto prompts = parse_prompts(env, info[0]);
  auto options = parse_generate_options(info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env));
  std::shared_ptr<Napi::ThreadSafeFunction> stream;
  if (info.Length() > 2 && info[2].IsFunction()) {
    stream = std::make_shared<Napi::ThreadSafeFunction>(
        Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "fsllm-generate-step", 0, 1));
  }
  auto job = std::make_unique<FunctionJob>(env, "generate");
  auto model = acquire(env, "generate()");
  auto control = std::make_shared<train::GenerateControl>(prompts.size() * options.num_return_sequences);
  generation_ = control;
  auto out = std::make_shared<std::vector<train::GeneratedRow>>();
  job->work = [model, prompts = std::move(prompts), options, out, stream, control] {
    // Released on every path, so the step stream never keeps the event loop alive after the job.
    struct StreamRelease {
      std::shared_ptr<Napi::ThreadSafeFunction> tsfn;
      ~StreamRelease() { if (tsfn) tsfn->Release(); }
    } release{stream};
    *out = train::generate(*model, prompts, options, stream_to(stream), *control);
  };
  job->resolve = [out](Napi::Env env) { return rows_to_js(env, *out); };
  return submit(env, std::move(job));
}

Napi::Value ModelWrap::StopGeneration(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!generation_) return env.Undefined();
  if (info.Length() == 0 || info[0].IsUndefined()) {
    generation_->abort();
    return env.Undefined();
  }
  const double row = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1.0;
  if (!(row >= 0.0) || row != static_cast<double>(static_cast<int64_t>(row))) {
    throw_invalid_arg(env, "Expected a non-negative integer row for stopGeneration");
  }
  generation_->stop_row(static_cast<int64_t>(row));
  return env.Undefined();
}

}  // namespace fsllm::bindings
