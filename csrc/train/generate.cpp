// SPDX-License-Identifier: Apache-2.0
// Decoding loop; see generate.h. Every row computes what it would alone: prompts are left-padded, padding is
// masked out of attention and positions count real tokens only (CausalLmImpl::hidden_states). Rows that end
// leave the batch at once (their cache rows are dropped), so finished rows cost nothing.
#include "train/generate.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/fork_gate.h"

namespace fsllm::train {

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kEos: return "eos";
    case FinishReason::kLength: return "length";
    case FinishReason::kStopped: return "stopped";
    case FinishReason::kAborted: return "aborted";
  }
  return "length";
}

namespace {

void validate(const std::vector<std::vector<int64_t>>& prompts, const GenerateOptions& o, int64_t max_positions,
              int64_t vocab_size, const GenerateControl& control) {
  FSLLM_CHECK(!prompts.empty(), ErrorCode::kInvalidArg, "generate needs at least one prompt");
  FSLLM_CHECK(o.num_return_sequences >= 1, ErrorCode::kInvalidArg,
              "Expected an integer >= 1 for numReturnSequences but received " + std::to_string(o.num_return_sequences));
  FSLLM_CHECK(o.seed_keys.empty() || o.seed_keys.size() == prompts.size(), ErrorCode::kInvalidArg,
              "Expected " + std::to_string(prompts.size()) + " seedKeys, one per prompt, but received " +
                  std::to_string(o.seed_keys.size()));
  FSLLM_CHECK(control.rows() == prompts.size() * static_cast<size_t>(o.num_return_sequences), ErrorCode::kInvalidArg,
              "generate's control has " + std::to_string(control.rows()) + " rows for " + std::to_string(prompts.size()) +
                  " prompts x " + std::to_string(o.num_return_sequences) + " samples");
  for (size_t p = 0; p < prompts.size(); ++p) {
    const auto& prompt = prompts[p];
    const auto where = "prompt " + std::to_string(p);
    FSLLM_CHECK(!prompt.empty(), ErrorCode::kInvalidArg, where + " is empty; generate needs at least a BOS token");
    FSLLM_CHECK(static_cast<int64_t>(prompt.size()) < max_positions, ErrorCode::kInvalidArg,
                where + " has " + std::to_string(prompt.size()) + " tokens; the model supports " +
                    std::to_string(max_positions) + " (after the prompt adapter's virtual tokens, if any)");
    for (auto id : prompt) {
      FSLLM_CHECK(id >= 0 && id < vocab_size, ErrorCode::kInvalidArg,
                  where + " has token id " + std::to_string(id) + " outside the vocabulary (" +
                      std::to_string(vocab_size) + " ids)");
    }
  }
}

// The rows still decoding, in batch order, with their attention mask and cache.
struct LiveBatch {
  std::vector<int64_t> rows;  // batch position -> row id
  torch::Tensor key_mask;     // (B, S) bool, true for real tokens
  model::KvCache cache;
  torch::Tensor logits;       // (B, V) fp32 on the CPU: the next-token scores of each live row

  // Keeps batch positions `keep` (in order; repeats fork a row) and drops leading columns no kept row uses.
  void keep(const std::vector<int64_t>& keep_positions, std::vector<int64_t> kept_rows) {
    auto index = torch::tensor(keep_positions, torch::kInt64);
    logits = logits.index_select(/*dim=*/0, index);
    index = index.to(key_mask.device());
    key_mask = key_mask.index_select(/*dim=*/0, index);
    const auto used = key_mask.any(/*dim=*/0);                         // (S)
    const int64_t drop = used.to(torch::kInt64).argmax().item<int64_t>();  // first column some row uses
    key_mask = key_mask.narrow(/*dim=*/1, drop, key_mask.size(1) - drop);
    cache.select(index, drop);
    rows = std::move(kept_rows);
  }
};

// Next-token scores (B, V) for the last position of `hidden` (B, T, D), fp32 on the CPU.
torch::Tensor last_logits(model::CausalLmImpl& model, const torch::Tensor& hidden) {
  return model.logits(hidden.select(/*dim=*/1, hidden.size(1) - 1)).to(torch::kCPU, torch::kFloat32);
}

// Runs each prompt on its own (no compute spent on padding, and a row's prefill is exactly its prefill
// alone), then stacks the caches left-padded to the longest prompt, with room for `budget` more tokens.
LiveBatch prefill(model::CausalLmImpl& model, const std::vector<std::vector<int64_t>>& prompts, int64_t budget) {
  const auto B = static_cast<int64_t>(prompts.size());
  int64_t S = 0;
  for (const auto& p : prompts) S = std::max<int64_t>(S, static_cast<int64_t>(p.size()));
  const auto device = model.device();
  auto mask = torch::zeros({B, S}, torch::kBool);
  LiveBatch batch;
  batch.cache.max_length = model.virtual_tokens() + S + budget;
  std::vector<torch::Tensor> logits;
  for (int64_t b = 0; b < B; ++b) {
    const auto T = static_cast<int64_t>(prompts[b].size());
    mask[b].narrow(/*dim=*/0, S - T, T).fill_(true);
    model::KvCache one;
    auto ids = torch::tensor(prompts[b], torch::kInt64).view({1, T}).to(device);  // (1, T)
    logits.push_back(last_logits(model, model.hidden_states(ids, torch::ones({1, T}, torch::TensorOptions().dtype(torch::kBool).device(device)), &one)));
    batch.cache.place_row(b, B, S, one);
    batch.rows.push_back(b);
  }
  batch.key_mask = mask.to(device);
  batch.logits = torch::cat(logits, /*dim=*/0);  // (B, V)
  return batch;
}

// Per-row bookkeeping of one call: results so far, token budgets, and (sampling) one generator per row.
struct RowState {
  std::vector<GeneratedRow> rows;
  std::vector<int64_t> budgets;
  std::vector<at::Generator> generators;
  int64_t most = 0;  // the largest budget
};

RowState make_rows(const std::vector<std::vector<int64_t>>& prompts, const GenerateOptions& o, int64_t max_positions) {
  const int64_t n = o.num_return_sequences;
  RowState s;
  s.rows.resize(prompts.size() * n);
  for (size_t r = 0; r < s.rows.size(); ++r) {
    auto& row = s.rows[r];
    row.prompt = static_cast<int64_t>(r) / n;
    row.sample = static_cast<int64_t>(r) % n;
    s.budgets.push_back(std::min(o.max_new_tokens, max_positions - static_cast<int64_t>(prompts[row.prompt].size())));
    s.most = std::max(s.most, s.budgets.back());
    if (o.sampling.temperature > 0.0) {
      s.generators.push_back(at::make_generator<at::CPUGeneratorImpl>(
          row_seed(o.seed, o.seed_keys.empty() ? row.prompt : o.seed_keys[row.prompt], row.sample)));
    }
  }
  return s;
}

// The live rows that go on after a step: their batch positions, row ids and the tokens they just took.
struct Survivors {
  std::vector<int64_t> positions, rows, tokens;
};

// One step's decisions: every live row takes its next token from batch.logits, or ends (abort, its stop
// flag, EOS, budget). Records what happened in `step`.
Survivors advance(const LiveBatch& batch, RowState& state, const GenerateOptions& o, const GenerateControl& control,
                  GenerateStep& step) {
  Survivors next;
  const bool abort = control.aborted();
  const bool greedy = state.generators.empty();
  const auto greedy_ids = greedy ? batch.logits.argmax(/*dim=*/-1) : torch::Tensor();  // (B) int64, CPU
  for (size_t i = 0; i < batch.rows.size(); ++i) {
    const auto r = batch.rows[i];
    auto& row = state.rows[r];
    const auto end = [&](FinishReason why) {
      row.reason = why;
      step.finished.emplace_back(r, why);
    };
    if (abort) { end(FinishReason::kAborted); continue; }
    if (control.row_stopped(r)) { end(FinishReason::kStopped); continue; }
    const auto token = greedy ? greedy_ids.data_ptr<int64_t>()[i] : sample_next(batch.logits[i], o.sampling, state.generators[r]);
    row.ids.push_back(token);
    step.rows.push_back(r);
    step.tokens.push_back(token);
    if (std::find(o.eos_ids.begin(), o.eos_ids.end(), token) != o.eos_ids.end()) end(FinishReason::kEos);
    else if (static_cast<int64_t>(row.ids.size()) >= state.budgets[r]) end(FinishReason::kLength);
    else {
      next.positions.push_back(static_cast<int64_t>(i));
      next.rows.push_back(r);
      next.tokens.push_back(token);
    }
  }
  return next;
}

// Feeds each live row its last token: one forward of (B, 1) against the cache.
void decode(model::CausalLmImpl& model, LiveBatch& batch, const std::vector<int64_t>& tokens) {
  const auto B = static_cast<int64_t>(tokens.size());
  auto ids = torch::tensor(tokens, torch::kInt64).view({B, 1}).to(model.device());  // (B, 1)
  batch.key_mask = torch::cat({batch.key_mask, torch::ones({B, 1}, batch.key_mask.options())}, /*dim=*/1);
  batch.logits = last_logits(model, model.hidden_states(ids, batch.key_mask, &batch.cache));
}

}  // namespace

std::vector<GeneratedRow> generate(model::CausalLmImpl& model, const std::vector<std::vector<int64_t>>& prompts,
                                   const GenerateOptions& o, const std::function<void(const GenerateStep&)>& on_step,
                                   GenerateControl& control) {
  // An attached prompt's virtual tokens take the first positions.
  const int64_t positions = model.config().max_positions - model.virtual_tokens();
  validate(prompts, o, positions, model.config().vocab_size, control);
  auto state = make_rows(prompts, o, positions);
  if (state.most <= 0) return state.rows;  // nothing to generate: every row ends by length, no forward pass

  torch::NoGradGuard no_grad;
  model.eval();
  amp::AutocastGuard autocast(o.precision, model.device());
  auto batch = prefill(model, prompts, state.most);
  if (o.num_return_sequences > 1) {  // fork each prompt's prefill into its sample rows
    std::vector<int64_t> positions, ids;
    for (size_t r = 0; r < state.rows.size(); ++r) {
      positions.push_back(state.rows[r].prompt);
      ids.push_back(static_cast<int64_t>(r));
    }
    batch.keep(positions, ids);
  }
  for (;;) {
    GenerateStep step;
    auto next = advance(batch, state, o, control, step);
    if (on_step) on_step(step);
    if (next.rows.empty()) break;
    if (next.rows.size() < batch.rows.size()) batch.keep(next.positions, std::move(next.rows));
    fork_yield_point();
    decode(model, batch, next.tokens);
  }
  return state.rows;
}

}  // namespace fsllm::train
