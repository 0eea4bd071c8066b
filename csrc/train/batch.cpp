// SPDX-License-Identifier: Apache-2.0
// Micro-batch validation; cheap whole-tensor checks done once per step on the executor thread.
#include "train/batch.h"

#include "core/error.h"
#include "model/loss.h"

namespace fsllm::train {

void validate(const MicroBatch& b, const model::ModelConfig& c, size_t index) {
  const std::string where = "batch[" + std::to_string(index) + "]";
  FSLLM_CHECK(b.ids.dim() == 2 && b.ids.size(1) >= 1, ErrorCode::kInvalidArg, where + ".ids must have shape [batch, tokens]");
  FSLLM_CHECK(b.labels.sizes() == b.ids.sizes(), ErrorCode::kInvalidArg, where + ".labels must have the shape of ids");
  FSLLM_CHECK(b.mask.sizes() == b.ids.sizes(), ErrorCode::kInvalidArg, where + ".attentionMask must have the shape of ids");
  FSLLM_CHECK(b.ids.size(1) <= c.max_positions, ErrorCode::kInvalidArg,
              where + " has " + std::to_string(b.ids.size(1)) + " tokens; the model supports at most " +
                  std::to_string(c.max_positions) + " (truncate to tokLen)");
  FSLLM_CHECK(!b.segments.defined() || b.segments.sizes() == b.ids.sizes(), ErrorCode::kInvalidArg,
              where + ".segmentIds must have the shape of ids");
  if (b.ids.numel() == 0) return;
  FSLLM_CHECK(b.ids.min().item<int64_t>() >= 0 && b.ids.max().item<int64_t>() < c.vocab_size, ErrorCode::kInvalidArg,
              where + ".ids has a token id outside [0, " + std::to_string(c.vocab_size) + ")");
  auto real = b.labels.masked_select(b.labels != -100);
  if (real.numel() > 0) {
    FSLLM_CHECK(real.min().item<int64_t>() >= 0 && real.max().item<int64_t>() < c.vocab_size, ErrorCode::kInvalidArg,
                where + ".labels has an id outside [0, " + std::to_string(c.vocab_size) + ") that is not -100");
  }
}

int64_t count_targets(const MicroBatch& b, bool lead) {
  const int64_t from = lead ? 0 : 1;
  if (b.labels.size(1) <= from) return 0;
  return (b.labels.narrow(1, from, b.labels.size(1) - from) != -100).sum().item<int64_t>();
}

torch::Tensor loss_sum(model::CausalLmImpl& model, const MicroBatch& b) {
  const bool lead = model.leads_inputs();
  // (B, T, D), or (B, 1+T, D) led by the last virtual token's state, whose target is the first label.
  auto hidden = model.hidden_states(b.ids, b.mask, /*cache=*/nullptr, b.segments, /*tap=*/nullptr, lead);
  auto labels = lead ? torch::cat({torch::full({b.labels.size(0), 1}, -100, b.labels.options()), b.labels}, /*dim=*/1) : b.labels;
  return model::causal_lm_loss_sum(hidden, model.lm_head_weight(), labels);
}

}  // namespace fsllm::train
