// SPDX-License-Identifier: Apache-2.0
// How a data-parallel step divides its work between ranks and puts the results back together; used by
// TrainSession::train_step when it runs with Replicas.
#pragma once

#include <utility>
#include <vector>

#include "train/batch.h"
#include "train/replicas.h"

namespace fsllm::train {

// A data-parallel step's share for `rank` of `world`: whole micro-batches round-robin when there are at least
// `world` of them, else a contiguous slice of each micro-batch's rows (none when it has fewer rows than ranks
// reach). Each piece keeps the index of the micro-batch it came from.
std::vector<std::pair<size_t, MicroBatch>> share_of(const std::vector<MicroBatch>& batches, int rank, int world);

// Sums every rank's gradients of `params` and the per-micro-batch loss sums `micro_sums` (in place).
void sum_over_replicas(Replicas& replicas, const std::vector<torch::Tensor>& params, std::vector<double>& micro_sums);

}  // namespace fsllm::train
