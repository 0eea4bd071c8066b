// SPDX-License-Identifier: Apache-2.0
// Data-parallel training steps over Replicas: rank 0 leads each step from the JS side; every other rank
// serves, running the same TrainSession::train_step on what rank 0 sends. Before a step rank 0 tells the
// others whether their replicas are current; when not (an adapter import, an optimizer reset, a new anchor,
// a new group) it broadcasts its trainable tensors, optimizer state, proximal anchor and loss scale first.
#pragma once

#include <atomic>
#include <vector>

#include "train/replicas.h"
#include "train/train_session.h"

namespace fsllm::train {

// What leading a step moved between the ranks (rank 0's view), for reports and benches.
struct ReplicaTraffic {
  int64_t synced_bytes = 0;     // state broadcast before the step (0 when the replicas were current)
  int64_t batch_bytes = 0;      // micro-batches broadcast
  int64_t reduced_bytes = 0;    // gradients and loss sums all-reduced
};

class ReplicaLeader {
 public:
  // Rank 0's side: posts the step, sends what the ranks need, and runs its own share.
  StepMetrics step(TrainSession& session, Replicas& replicas, const std::vector<MicroBatch>& batches,
                   const StepOptions& options, const std::atomic<bool>& abort);
  // Tells the other ranks to return from serve_replicas().
  void stop(Replicas& replicas);
  const ReplicaTraffic& last_traffic() const { return traffic_; }

 private:
  struct SyncedState {
    uint64_t group = 0;
    const TrainSession* session = nullptr;
    int64_t adapter = -1, weights = -1, state = -1;
    bool operator==(const SyncedState& o) const {
      return group == o.group && session == o.session && adapter == o.adapter && weights == o.weights && state == o.state;
    }
  };
  static SyncedState current(TrainSession& session, const Replicas& replicas);
  SyncedState synced_;
  ReplicaTraffic traffic_;
};

// A rank other than 0: runs steps as rank 0 posts them until it posts stop (then returns). Throws
// fsllm::Error(kDistributed) when rank 0 or another rank goes away, kAborted once `abort` is set while
// waiting for a command, kInvalidArg when this rank's adapter does not have rank 0's layout.
void serve_replicas(TrainSession& session, Replicas& replicas, const std::atomic<bool>& abort);

}  // namespace fsllm::train
