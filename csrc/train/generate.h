// SPDX-License-Identifier: Apache-2.0
// Batched autoregressive decoding with a KV cache: prompts of different lengths left-padded into one batch,
// several samples per prompt forked from one prefill, each row ending on its own (EOS, budget, or a stop flag
// set from another thread). Stop strings need the tokenizer, so they are TS policy: TS sets a row's flag.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "amp/precision.h"
#include "model/transformer.h"
#include "train/sampling.h"

namespace fsllm::train {

struct GenerateOptions {
  int64_t max_new_tokens = 64;
  SamplingOptions sampling;
  uint64_t seed = 0;
  std::vector<int64_t> eos_ids;
  int64_t num_return_sequences = 1;  // rows per prompt, all forked from the prompt's one prefill
  // Row (p, s) samples from a generator seeded by (seed, seed_keys[p], s); empty: (seed, p, s). Callers pass
  // stable keys (e.g. the prompt's index in their whole list) so a row's text does not depend on its batch.
  std::vector<int64_t> seed_keys;
  amp::Precision precision = amp::Precision::kFp32;
};

enum class FinishReason { kEos, kLength, kStopped, kAborted };
const char* finish_reason_name(FinishReason reason);

// Row r of a call decodes sample r % n of prompt r / n (n = num_return_sequences).
struct GeneratedRow {
  int64_t prompt = 0;  // index into the call's prompts
  int64_t sample = 0;
  std::vector<int64_t> ids;  // without the prompt; an EOS that ended the row is included
  FinishReason reason = FinishReason::kLength;
};

// What one decoding step did: the token each live row took, then the rows that ended (with why).
struct GenerateStep {
  std::vector<int64_t> rows;
  std::vector<int64_t> tokens;
  std::vector<std::pair<int64_t, FinishReason>> finished;
};

// Written from any thread while generate() runs; read between steps. abort() ends every row, stop_row(r)
// ends row r (its tokens so far are kept).
class GenerateControl {
 public:
  explicit GenerateControl(size_t rows) : rows_(new std::atomic<bool>[rows]), size_(rows) {
    for (size_t i = 0; i < rows; ++i) rows_[i].store(false);
  }
  void abort() { abort_.store(true); }
  bool aborted() const { return abort_.load(); }
  // Out-of-range rows are ignored: a late request for a row that no longer exists is harmless.
  void stop_row(int64_t row) {
    if (row >= 0 && static_cast<size_t>(row) < size_) rows_[row].store(true);
  }
  bool row_stopped(int64_t row) const { return rows_[row].load(); }
  size_t rows() const { return size_; }

 private:
  std::atomic<bool> abort_{false};
  std::unique_ptr<std::atomic<bool>[]> rows_;
  size_t size_;
};

// Decodes every row of `prompts` (each non-empty, ids in the vocabulary, shorter than max_positions; else
// fsllm::Error kInvalidArg). `on_step` (may be empty) runs on the calling thread after every step. Returns
// rows in row order. `control` must have prompts.size() * num_return_sequences rows.
std::vector<GeneratedRow> generate(model::CausalLmImpl& model, const std::vector<std::vector<int64_t>>& prompts,
                                   const GenerateOptions& options,
                                   const std::function<void(const GenerateStep&)>& on_step, GenerateControl& control);

}  // namespace fsllm::train
