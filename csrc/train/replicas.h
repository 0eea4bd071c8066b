// SPDX-License-Identifier: Apache-2.0
// What a data-parallel step needs from the processes it spans, without naming how they talk (c10d in
// distributed/replica_group.h): collectives over tensors, and the command rank 0 posts before each one so
// the other ranks know what comes next.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace fsllm::train {

class Replicas {
 public:
  Replicas() : serial_(next_serial()) {}
  virtual ~Replicas() = default;
  // Distinct for every group a process makes, so a session can tell a new group (whose ranks have not
  // received its state yet) from the one it last synchronised, even at a reused address.
  uint64_t serial() const { return serial_; }

  virtual int rank() const = 0;
  virtual int world() const = 0;
  // In place: every rank's `tensors` take rank 0's values. Shapes and dtypes must agree across ranks.
  virtual void broadcast(std::vector<torch::Tensor>& tensors) = 0;
  // In place: element-wise sum over the ranks.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  // Rank 0 posts the next command; every other rank's next_command() returns it, in order. next_command()
  // blocks until one arrives and throws fsllm::Error(kAborted) once `abort` is set.
  virtual void post_command(const std::vector<double>& command) = 0;
  virtual std::vector<double> next_command(const std::atomic<bool>& abort) = 0;

 private:
  static uint64_t next_serial() {
    static std::atomic<uint64_t> counter{0};
    return ++counter;
  }
  uint64_t serial_;
};

}  // namespace fsllm::train
