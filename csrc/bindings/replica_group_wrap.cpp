// SPDX-License-Identifier: Apache-2.0
// ReplicaGroup wrap; see replica_group_wrap.h.
#include "bindings/replica_group_wrap.h"

#include "bindings/addon_data.h"
#include "bindings/errors.h"
#include "bindings/jobs/function_job.h"
#include "bindings/options.h"
#include "distributed/replica_group.h"

namespace fsllm::bindings {

namespace {

struct GroupInit {
  std::shared_ptr<distributed::ReplicaGroup> group;
};

}  // namespace

Napi::Function ReplicaGroupWrap::Define(Napi::Env env) {
  return DefineClass(env, "ReplicaGroup",
                     {InstanceMethod<&ReplicaGroupWrap::Connect>("connect"),
                      InstanceMethod<&ReplicaGroupWrap::StopReplicas>("stopReplicas"),
                      InstanceMethod<&ReplicaGroupWrap::Close>("close"),
                      InstanceAccessor<&ReplicaGroupWrap::Port>("port"),
                      InstanceAccessor<&ReplicaGroupWrap::Rank>("rank"),
                      InstanceAccessor<&ReplicaGroupWrap::WorldSize>("worldSize")});
}

ReplicaGroupWrap::ReplicaGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ReplicaGroupWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw_invalid_arg(info.Env(), "ReplicaGroup cannot be constructed directly; use openReplicaGroup()");
  }
  group_ = info[0].As<Napi::External<GroupInit>>().Data()->group;
}

Napi::Value ReplicaGroupWrap::Open(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = expect_object(env, info[0], "replica group options");
  distributed::GroupOptions options;
  options.rank = static_cast<int>(get_int(o, "rank", "rank", 0));
  options.world = static_cast<int>(get_int(o, "worldSize", "worldSize", 1));
  options.host = get_string(o, "host", "host", options.host);
  options.port = static_cast<int>(get_int(o, "port", "port", 0));
  options.timeout = std::chrono::milliseconds(get_int(o, "timeoutMs", "timeoutMs", options.timeout.count()));
  GroupInit init;
  try {
    init.group = std::make_shared<distributed::ReplicaGroup>(options);
  } catch (...) {
    auto error = capture(std::current_exception(), "openReplicaGroup");
    throw Napi::Error(env, make_error(env, error));
  }
  return env.GetInstanceData<AddonData>()->replica_group_class.New({Napi::External<GroupInit>::New(env, &init)});
}

std::shared_ptr<distributed::ReplicaGroup> ReplicaGroupWrap::acquire(Napi::Env env, const char* operation) {
  if (!group_) throw_coded(env, "ERR_FSLLM_DISPOSED", "ReplicaGroup is closed; open a new one");
  if (busy_) throw_coded(env, "ERR_FSLLM_BUSY", std::string("ReplicaGroup is busy: await the previous call before ") + operation);
  busy_ = true;
  return group_;
}

Napi::Value ReplicaGroupWrap::submit(Napi::Env env, std::unique_ptr<FunctionJob> job) {
  Ref();
  job->on_cleanup([this] {
    release();
    Unref();
  });
  return Executor::Submit(env, std::move(job));
}

Napi::Value ReplicaGroupWrap::Connect(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "connect");
  auto group = acquire(env, "connect()");
  job->work = [group] { group->connect(); };
  return submit(env, std::move(job));
}

Napi::Value ReplicaGroupWrap::StopReplicas(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "stopReplicas");
  auto group = acquire(env, "stopReplicas()");
  auto leader = leader_;
  job->work = [group, leader] { leader->stop(*group); };
  return submit(env, std::move(job));
}

// Drops this rank's c10d objects (its sockets close, which the other ranks see as this rank leaving).
Napi::Value ReplicaGroupWrap::Close(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (busy_) throw_coded(env, "ERR_FSLLM_BUSY", "ReplicaGroup is busy: await its call before close()");
  group_.reset();
  return env.Undefined();
}

Napi::Value ReplicaGroupWrap::Port(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), group_ ? group_->port() : 0);
}

Napi::Value ReplicaGroupWrap::Rank(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), group_ ? group_->rank() : -1);
}

Napi::Value ReplicaGroupWrap::WorldSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), group_ ? group_->world() : 0);
}

}  // namespace fsllm::bindings
