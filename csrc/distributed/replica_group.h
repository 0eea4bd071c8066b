// SPDX-License-Identifier: Apache-2.0
// The processes of one data-parallel client, joined through libtorch's c10d: a TCPStore for rendezvous and
// commands, a ProcessGroupGloo for the collectives. The c10d types stay in the .cpp, so code that includes
// this header builds without gloo's headers; such a build refuses to make a group (ERR_FSLLM_UNSUPPORTED).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "train/replicas.h"

namespace fsllm::distributed {

struct GroupOptions {
  int rank = 0;
  int world = 1;
  std::string host = "127.0.0.1";  // the store's address (rank 0's), also the address gloo binds to
  int port = 0;                    // rank 0: 0 picks a free port (see ReplicaGroup::port())
  std::chrono::milliseconds timeout{600000};  // rendezvous, and each collective's wait for a silent rank
};

class ReplicaGroup final : public train::Replicas {
 public:
  // Rank 0 starts the store here, so port() can be handed to the other ranks before they start. Throws
  // fsllm::Error(kInvalidArg) for a rank outside [0, world), kUnsupported without gloo, kDistributed when
  // the port is taken.
  explicit ReplicaGroup(GroupOptions options);
  ~ReplicaGroup() override;
  ReplicaGroup(const ReplicaGroup&) = delete;
  ReplicaGroup& operator=(const ReplicaGroup&) = delete;

  // Joins the process group (ranks other than 0 connect to the store first). Blocks until every rank has
  // joined; throws fsllm::Error(kDistributed) after the timeout.
  void connect();
  int port() const;

  int rank() const override;
  int world() const override;
  void broadcast(std::vector<torch::Tensor>& tensors) override;
  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override;
  void post_command(const std::vector<double>& command) override;
  std::vector<double> next_command(const std::atomic<bool>& abort) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fsllm::distributed
