// SPDX-License-Identifier: Apache-2.0
// TrainSession wrap; see session_wrap.h. A step also holds the model's busy flag, so no other call can
// change the model (attach, import) while gradients are being computed.
#include "bindings/session_wrap.h"

#include "bindings/addon_data.h"
#include "bindings/batch_io.h"
#include "bindings/errors.h"
#include "bindings/jobs/function_job.h"
#include "bindings/options.h"
#include "bindings/replica_group_wrap.h"
#include "distributed/replica_group.h"
#include "train/replica_step.h"

namespace fsllm::bindings {

namespace {

using SessionPtr = std::shared_ptr<train::TrainSession>;

struct SessionInit {
  SessionPtr session;
  Napi::Object model;
};

Napi::Value metrics_to_js(Napi::Env env, const train::StepMetrics& m) {
  auto o = Napi::Object::New(env);
  o.Set("loss", m.loss);
  o.Set("targetTokens", Napi::Number::New(env, static_cast<double>(m.target_tokens)));
  o.Set("inputTokens", Napi::Number::New(env, static_cast<double>(m.input_tokens)));
  o.Set("gradNorm", m.grad_norm);
  o.Set("lossScale", m.loss_scale);
  o.Set("proximal", m.proximal);
  o.Set("skipped", m.skipped);
  o.Set("ms", m.ms);
  auto micro = Napi::Array::New(env, m.micro_losses.size());
  for (size_t i = 0; i < m.micro_losses.size(); ++i) micro.Set(i, m.micro_losses[i]);
  o.Set("microLosses", micro);
  return o;
}

Napi::Value align_metrics_to_js(Napi::Env env, const train::AlignMetrics& m) {
  auto o = Napi::Object::New(env);
  o.Set("loss", m.loss);
  o.Set("repr", m.repr);
  o.Set("kl", m.kl);
  o.Set("lm", m.lm);
  o.Set("tokens", Napi::Number::New(env, static_cast<double>(m.tokens)));
  o.Set("gradNorm", m.grad_norm);
  o.Set("lossScale", m.loss_scale);
  o.Set("skipped", m.skipped);
  o.Set("ms", m.ms);
  return o;
}

}  // namespace

Napi::Function SessionWrap::Define(Napi::Env env) {
  return DefineClass(env, "TrainSession",
                     {InstanceMethod<&SessionWrap::TrainStep>("trainStep"),
                      InstanceMethod<&SessionWrap::ServeReplicas>("serveReplicas"),
                      InstanceMethod<&SessionWrap::AlignStep>("alignStep"),
                      InstanceMethod<&SessionWrap::Abort>("abort"),
                      InstanceMethod<&SessionWrap::ExportOptimizerState>("exportOptimizerState"),
                      InstanceMethod<&SessionWrap::ImportOptimizerState>("importOptimizerState"),
                      InstanceMethod<&SessionWrap::ResetOptimizer>("resetOptimizer"),
                      InstanceMethod<&SessionWrap::SetProximalAnchor>("setProximalAnchor"),
                      InstanceMethod<&SessionWrap::Dispose>("dispose")});
}

SessionWrap::SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw_invalid_arg(info.Env(), "TrainSession cannot be constructed directly; use createSession()");
  }
  auto* init = info[0].As<Napi::External<SessionInit>>().Data();
  session_ = init->session;
  model_ref_ = Napi::Persistent(init->model);
  model_wrap_ = ModelWrap::Unwrap(init->model);
}

Napi::Value SessionWrap::Create(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto* data = env.GetInstanceData<AddonData>();
  if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(data->model_class.Value())) {
    throw_invalid_arg(env, "Expected a Model for createSession(model, options)");
  }
  auto options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  auto optimizer = parse_optimizer_config(options.Has("optimizer") ? expect_object(env, options.Get("optimizer"), "optimizer") : Napi::Object::New(env));
  auto scaler = parse_scaler_config(options.Has("lossScale") ? expect_object(env, options.Get("lossScale"), "lossScale") : Napi::Object::New(env));
  auto layers = parse_session_layers(options);
  auto model_obj = info[0].As<Napi::Object>();
  auto* model_wrap = ModelWrap::Unwrap(model_obj);
  auto job = std::make_unique<FunctionJob>(env, "createSession");
  auto model = model_wrap->acquire(env, "createSession()");
  auto result = std::make_shared<SessionPtr>();
  auto model_ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(model_obj));
  job->work = [model, optimizer, scaler, layers, result] {
    *result = std::make_shared<train::TrainSession>(model, optimizer, scaler, layers);
  };
  job->resolve = [result, model_ref](Napi::Env env) -> Napi::Value {
    SessionInit init{*result, model_ref->Value()};
    return env.GetInstanceData<AddonData>()->session_class.New({Napi::External<SessionInit>::New(env, &init)});
  };
  job->on_cleanup([model_wrap, model_ref] {
    model_wrap->release();
    model_ref->Reset();
  });
  return Executor::Submit(env, std::move(job));
}

std::shared_ptr<train::TrainSession> SessionWrap::acquire(Napi::Env env, const char* operation) {
  if (!session_) {
    throw_coded(env, "ERR_FSLLM_DISPOSED", "TrainSession is disposed; create a new one");
  }
  if (busy_) {
    throw_coded(env, "ERR_FSLLM_BUSY", std::string("TrainSession is busy: await the previous call before ") + operation);
  }
  model_wrap_->acquire(env, operation);  // throws if the model is disposed or in use
  busy_ = true;
  return session_;
}

Napi::Value SessionWrap::submit(Napi::Env env, std::unique_ptr<FunctionJob> job) {
  Ref();
  job->on_cleanup([this] {
    busy_ = false;
    model_wrap_->release();
    Unref();
  });
  return Executor::Submit(env, std::move(job));
}

Napi::Value SessionWrap::TrainStep(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "trainStep");
  auto batches = parse_batches(env, info[0], *job);
  auto options = parse_step_options(info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env));
  auto acquired = acquire_with_group(info, 2, *job, "trainStep()");
  auto session = acquired.first;
  auto* group_wrap = acquired.second;
  abort_->store(false);
  auto abort = abort_;
  auto metrics = std::make_shared<train::StepMetrics>();
  auto group = group_wrap ? group_wrap->acquired() : nullptr;
  auto leader = group_wrap ? group_wrap->leader() : nullptr;
  auto traffic = std::make_shared<train::ReplicaTraffic>();
  job->work = [session, batches, options, abort, metrics, group, leader, traffic] {
    auto tensors = to_tensors(batches, session->model().device());
    if (!group) {
      *metrics = session->train_step(tensors, options, *abort);
      return;
    }
    *metrics = leader->step(*session, *group, tensors, options, *abort);
    *traffic = leader->last_traffic();
  };
  job->resolve = [metrics, traffic, group](Napi::Env env) {
    auto o = metrics_to_js(env, *metrics).As<Napi::Object>();
    if (group) {
      auto t = Napi::Object::New(env);
      t.Set("syncedBytes", Napi::Number::New(env, static_cast<double>(traffic->synced_bytes)));
      t.Set("batchBytes", Napi::Number::New(env, static_cast<double>(traffic->batch_bytes)));
      t.Set("reducedBytes", Napi::Number::New(env, static_cast<double>(traffic->reduced_bytes)));
      o.Set("replicaTraffic", t);
    }
    return o;
  };
  return submit(env, std::move(job));
}

// The teacher Model is acquired (busy) and Ref()'d for the job like the session's own model; the TS layer
// holds both models' locks, so neither can be in use here unless the caller bypassed them.
Napi::Value SessionWrap::AlignStep(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto* data = env.GetInstanceData<AddonData>();
  if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(data->model_class.Value())) {
    throw_invalid_arg(env, "Expected a Model for teacher in alignStep(teacher, batches, options)");
  }
  auto* teacher_wrap = ModelWrap::Unwrap(info[0].As<Napi::Object>());
  if (teacher_wrap == model_wrap_) {
    throw_invalid_arg(env, "The teacher is the student's own Model; pass the full model as a separate Model instance");
  }
  auto job = std::make_unique<FunctionJob>(env, "alignStep");
  auto batches = parse_batches(env, info[1], *job);
  auto options = parse_align_options(info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env));
  auto teacher = teacher_wrap->acquire(env, "alignStep()");
  std::shared_ptr<train::TrainSession> session;
  try {
    session = acquire(env, "alignStep()");
  } catch (...) {
    teacher_wrap->release();
    throw;
  }
  teacher_wrap->Ref();
  job->on_cleanup([teacher_wrap] {
    teacher_wrap->release();
    teacher_wrap->Unref();
  });
  abort_->store(false);
  auto abort = abort_;
  auto metrics = std::make_shared<train::AlignMetrics>();
  job->work = [session, teacher, batches, options, abort, metrics] {
    *metrics = train::align_step(*session, *teacher, to_tensors(batches, session->model().device()), options, *abort);
  };
  job->resolve = [metrics](Napi::Env env) { return align_metrics_to_js(env, *metrics); };
  return submit(env, std::move(job));
}

Napi::Value SessionWrap::Abort(const Napi::CallbackInfo& info) {
  abort_->store(true);
  return info.Env().Undefined();
}

Napi::Value SessionWrap::ExportOptimizerState(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "exportOptimizerState");
  auto session = acquire(env, "exportOptimizerState()");
  auto flat = std::make_shared<torch::Tensor>();
  job->work = [session, flat] { *flat = session->optimizer().export_state(); };
  job->resolve = [flat](Napi::Env env) { return to_float32_array(env, *flat); };
  return submit(env, std::move(job));
}

Napi::Value SessionWrap::ImportOptimizerState(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "importOptimizerState");
  auto data = job->pin(expect_typed_array(env, info[0], napi_float32_array, "a Float32Array", "optimizer state"));
  auto session = acquire(env, "importOptimizerState()");
  job->work = [session, data] {
    session->import_optimizer_state(data.view(torch::kFloat32, {static_cast<int64_t>(data.length)}));
  };
  return submit(env, std::move(job));
}

Napi::Value SessionWrap::ResetOptimizer(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "resetOptimizer");
  auto session = acquire(env, "resetOptimizer()");
  job->work = [session] { session->reset_optimizer(); };
  return submit(env, std::move(job));
}

// setProximalAnchor(anchor: Float32Array | null): the copy is made on the executor (on the parameters'
// device), so the pinned input is only read while the job runs.
Napi::Value SessionWrap::SetProximalAnchor(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "setProximalAnchor");
  const bool clear = info[0].IsNull();
  ArrayView data;
  if (!clear) data = job->pin(expect_typed_array(env, info[0], napi_float32_array, "a Float32Array or null", "proximal anchor"));
  auto session = acquire(env, "setProximalAnchor()");
  job->work = [session, clear, data] {
    if (clear) {
      session->clear_proximal_anchor();
    } else {
      session->set_proximal_anchor(data.view(torch::kFloat32, {static_cast<int64_t>(data.length)}));
    }
  };
  return submit(env, std::move(job));
}

Napi::Value SessionWrap::Dispose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (busy_) throw_coded(env, "ERR_FSLLM_BUSY", "TrainSession is busy: await trainStep() before dispose()");
  session_.reset();
  model_ref_.Reset();
  return env.Undefined();
}

}  // namespace fsllm::bindings
