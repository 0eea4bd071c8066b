// SPDX-License-Identifier: Apache-2.0
// JS class `TrainSession`: optimizer and loss-scaler state bound to a Model's trainable parameters.
// trainStep() is one native call per optimizer step (the micro-batch loop runs natively).
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <utility>

#include "bindings/model_wrap.h"
#include "train/train_session.h"

namespace fsllm::bindings {

class FunctionJob;
class ReplicaGroupWrap;

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // binding.createSession(model, {optimizer, lossScale, layers}) -> Promise<TrainSession>
  static Napi::Value Create(const Napi::CallbackInfo& info);
  explicit SessionWrap(const Napi::CallbackInfo& info);

 private:
  // trainStep(batches, options, group?): with a ReplicaGroup (rank 0), one data-parallel step over its ranks.
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  // serveReplicas(group): a rank other than 0 runs rank 0's steps until rank 0's group.stopReplicas();
  // abort() ends it while it waits for a step.
  Napi::Value ServeReplicas(const Napi::CallbackInfo& info);
  // alignStep(teacher: Model, batches, options): one distillation step of this session's (student) model.
  Napi::Value AlignStep(const Napi::CallbackInfo& info);
  Napi::Value Abort(const Napi::CallbackInfo& info);
  Napi::Value ExportOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value ImportOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value ResetOptimizer(const Napi::CallbackInfo& info);
  Napi::Value SetProximalAnchor(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<train::TrainSession> acquire(Napi::Env env, const char* operation);
  Napi::Value submit(Napi::Env env, std::unique_ptr<FunctionJob> job);
  // Acquires this session (acquire()) and, when the argument at `index` is a ReplicaGroup rather than
  // undefined, that group too, busy (and Ref()'d) until `job` settles; either both or neither.
  std::pair<std::shared_ptr<train::TrainSession>, ReplicaGroupWrap*> acquire_with_group(
      const Napi::CallbackInfo& info, size_t index, FunctionJob& job, const char* operation);

  std::shared_ptr<train::TrainSession> session_;
  Napi::ObjectReference model_ref_;  // the Model stays alive while a session uses it
  ModelWrap* model_wrap_ = nullptr;
  std::shared_ptr<std::atomic<bool>> abort_ = std::make_shared<std::atomic<bool>>(false);
  bool busy_ = false;
};

}  // namespace fsllm::bindings
