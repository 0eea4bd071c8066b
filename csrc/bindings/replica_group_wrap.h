// SPDX-License-Identifier: Apache-2.0
// JS class `ReplicaGroup`: one rank's membership of a data-parallel client (distributed/replica_group.h),
// and, on rank 0, what its replicas last received (train::ReplicaLeader). Sessions use it in
// trainStep(batches, options, group) (rank 0) and serveReplicas(group) (the other ranks).
#pragma once

#include <napi.h>

#include <memory>

#include "train/replica_step.h"
#include "train/replicas.h"

namespace fsllm::distributed {
class ReplicaGroup;
}

namespace fsllm::bindings {

class FunctionJob;

class ReplicaGroupWrap : public Napi::ObjectWrap<ReplicaGroupWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // binding.openReplicaGroup({rank, worldSize, host, port, timeoutMs}) -> ReplicaGroup. Rank 0 starts the
  // rendezvous store here (its `port` is then set); every rank then awaits connect().
  static Napi::Value Open(const Napi::CallbackInfo& info);
  explicit ReplicaGroupWrap(const Napi::CallbackInfo& info);

  // For a session's job: marks the group busy until release(); throws ERR_FSLLM_BUSY / ERR_FSLLM_DISPOSED.
  std::shared_ptr<distributed::ReplicaGroup> acquire(Napi::Env env, const char* operation);
  void release() { busy_ = false; }
  // The group acquire() handed out (valid while busy).
  std::shared_ptr<distributed::ReplicaGroup> acquired() const { return group_; }
  std::shared_ptr<train::ReplicaLeader> leader() const { return leader_; }

 private:
  Napi::Value Connect(const Napi::CallbackInfo& info);
  // Rank 0: releases the other ranks from serveReplicas() (train::ReplicaLeader::stop).
  Napi::Value StopReplicas(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Port(const Napi::CallbackInfo& info);
  Napi::Value Rank(const Napi::CallbackInfo& info);
  Napi::Value WorldSize(const Napi::CallbackInfo& info);

  // Ref()s this wrap for the job's lifetime and releases the busy flag when it settles.
  Napi::Value submit(Napi::Env env, std::unique_ptr<FunctionJob> job);

  std::shared_ptr<distributed::ReplicaGroup> group_;
  std::shared_ptr<train::ReplicaLeader> leader_ = std::make_shared<train::ReplicaLeader>();
  bool busy_ = false;
};

}  // namespace fsllm::bindings
