// SPDX-License-Identifier: Apache-2.0
// TrainSession wrap, data parallelism (see session_wrap.h): taking a ReplicaGroup with the session for one
// job, and serving rank 0's steps on the other ranks. Rank 0's steps go through TrainStep.
#include "bindings/addon_data.h"
#include "bindings/errors.h"
#include "bindings/jobs/function_job.h"
#include "bindings/replica_group_wrap.h"
#include "bindings/session_wrap.h"
#include "distributed/replica_group.h"
#include "train/replica_step.h"

namespace fsllm::bindings {

std::pair<std::shared_ptr<train::TrainSession>, ReplicaGroupWrap*> SessionWrap::acquire_with_group(
    const Napi::CallbackInfo& info, size_t index, FunctionJob& job, const char* operation) {
  auto env = info.Env();
  ReplicaGroupWrap* wrap = nullptr;
  if (!info[index].IsUndefined()) {
    auto* data = env.GetInstanceData<AddonData>();
    if (!info[index].IsObject() || !info[index].As<Napi::Object>().InstanceOf(data->replica_group_class.Value())) {
      throw_invalid_arg(env, std::string("Expected a ReplicaGroup (or undefined) for the group of ") + operation);
    }
    wrap = ReplicaGroupWrap::Unwrap(info[index].As<Napi::Object>());
  }
  auto session = acquire(env, operation);
  if (!wrap) return {session, nullptr};
  try {
    wrap->acquire(env, operation);
  } catch (...) {
    busy_ = false;
    model_wrap_->release();
    throw;
  }
  wrap->Ref();
  job.on_cleanup([wrap] {
    wrap->release();
    wrap->Unref();
  });
  return {session, wrap};
}

Napi::Value SessionWrap::ServeReplicas(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "serveReplicas");
  if (info[0].IsUndefined()) throw_invalid_arg(env, "serveReplicas(group) needs the ReplicaGroup of this rank");
  auto acquired = acquire_with_group(info, 0, *job, "serveReplicas()");
  auto session = acquired.first;
  auto* group_wrap = acquired.second;
  abort_->store(false);
  auto abort = abort_;
  auto group = group_wrap->acquired();
  job->work = [session, group, abort] { train::serve_replicas(*session, *group, *abort); };
  return submit(env, std::move(job));
}

}  // namespace fsllm::bindings
