// SPDX-License-Identifier: Apache-2.0
// Evaluation passes; see eval_step.h.
#include "train/eval_step.h"

#include "core/error.h"

namespace fsllm::train {

EvalMetrics eval_step(model::CausalLmImpl& model, const std::vector<MicroBatch>& batches, amp::Precision precision) {
  torch::NoGradGuard no_grad;
  model.eval();
  amp::AutocastGuard autocast(precision, model.lm_head_weight().device());
  EvalMetrics m;
  for (size_t i = 0; i < batches.size(); ++i) {
    validate(batches[i], model.config(), i);
    m.loss_sum += loss_sum(model, batches[i]).item<double>();
    m.target_tokens += count_targets(batches[i], model.leads_inputs());
  }
  return m;
}

torch::Tensor forward_logits(model::CausalLmImpl& model, const MicroBatch& batch, amp::Precision precision) {
  torch::NoGradGuard no_grad;
  model.eval();
  validate(batch, model.config(), 0);
  amp::AutocastGuard autocast(precision, model.lm_head_weight().device());
  return model.logits(model.hidden_states(batch.ids, batch.mask, nullptr, batch.segments)).to(torch::kFloat32);
}

torch::Tensor next_token_logits(model::CausalLmImpl& model, const MicroBatch& batch, const std::vector<int64_t>& candidates,
                                amp::Precision precision) {
  torch::NoGradGuard no_grad;
  model.eval();
  validate(batch, model.config(), 0);
  const int64_t vocab = model.config().vocab_size;
  FSLLM_CHECK(!candidates.empty(), ErrorCode::kInvalidArg, "Expected at least one candidate token id");
  for (auto id : candidates) {
    FSLLM_CHECK(id >= 0 && id < vocab, ErrorCode::kInvalidArg,
                "Expected candidate token ids in [0, " + std::to_string(vocab) + ") but received " + std::to_string(id));
  }
  const auto real = batch.mask.sum(1);
  FSLLM_CHECK(real.min().item<int64_t>() > 0, ErrorCode::kInvalidArg, "Expected every row of the batch to have a real token (attentionMask 1)");
  amp::AutocastGuard autocast(precision, model.lm_head_weight().device());
  auto hidden = model.hidden_states(batch.ids, batch.mask, nullptr, batch.segments);  // (B, T, D)
  // The last real position of each row: the largest index whose mask is set (any padding side).
  const auto T = batch.mask.size(1);
  auto positions = (batch.mask.to(torch::kLong) * torch::arange(T, batch.mask.options().dtype(torch::kLong))).amax(1);
  auto rows = torch::arange(hidden.size(0), positions.options());
  auto last = hidden.index({rows, positions});  // (B, D): the head runs on these rows only
  auto ids = torch::tensor(candidates, torch::kLong).to(last.device());
  return model.logits(last).index_select(-1, ids).to(torch::kFloat32);
}

}  // namespace fsllm::train
