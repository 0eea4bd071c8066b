// SPDX-License-Identifier: Apache-2.0
// JS micro-batches ({ids, labels?, attentionMask, batch, seq}) pinned on the JS thread and turned into
// train::MicroBatch tensors on the executor thread.
#pragma once

#include <napi.h>

#include <vector>

#include "bindings/jobs/function_job.h"
#include "train/batch.h"

namespace fsllm::bindings {

struct BatchView {
  ArrayView ids, labels, mask, segments;
  int64_t batch = 0, seq = 0;
  bool has_labels = false;
  bool has_segments = false;
  // Executor thread: int32 -> int64 and uint8 -> bool copies, made on `device` (the model's).
  train::MicroBatch to_tensors(const torch::Device& device) const;
};

// Parses one micro-batch and pins its arrays on `job`; `path` names it in errors. Labels are optional
// (inference: then labels = ids); segmentIds are optional (packed rows).
BatchView parse_batch(Napi::Env env, Napi::Value value, const std::string& path, FunctionJob& job);
std::vector<BatchView> parse_batches(Napi::Env env, Napi::Value value, FunctionJob& job);

// Executor thread: every micro-batch of a step as tensors on `device`.
std::vector<train::MicroBatch> to_tensors(const std::vector<BatchView>& batches, const torch::Device& device);

}  // namespace fsllm::bindings
