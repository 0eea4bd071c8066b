// SPDX-License-Identifier: Apache-2.0
// The trainable part of prompt learning: `virtual_tokens` embeddings and, for P-tuning and projected prefix
// tuning, the encoder that turns them into what the model consumes. Submodule and parameter names follow HF
// PEFT's PromptEmbedding / PromptEncoder / PrefixEncoder (`embedding.weight`, `mlp_head.0.weight`,
// `lstm_head.weight_ih_l0_reverse`, `transform.2.bias`), so PEFT's state-dict keys map one to one. Where the
// output goes (before the input embeddings, or before each layer's keys and values) is the model's business.
#pragma once

#include "peft/prompt_config.h"

namespace fsllm::peft {

class PromptEncoderImpl : public torch::nn::Module {
 public:
  // `token_dim`: the width of one virtual token's embedding before an encoder (the hidden size; for prefix
  // tuning, as PEFT, kv_heads * head_dim); `output_width`: what one virtual token becomes (the hidden size, or
  // layers * 2 * kv_heads * head_dim for prefix tuning). `word_embeddings` (vocab, D) seeds rows from
  // config.init_ids. Draws every initial value from one generator seeded with config.seed.
  // Throws fsllm::Error(kInvalidArg) naming the option for a combination PEFT has no meaning for.
  PromptEncoderImpl(const PromptConfig& config, int64_t token_dim, int64_t output_width, const torch::Tensor& word_embeddings);

  // (V, output_width): the same for every row of a batch.
  torch::Tensor forward();

  const PromptConfig& config() const { return config_; }
  int64_t virtual_tokens() const { return config_.virtual_tokens; }
  bool is_prefix() const { return config_.method == PromptMethod::kPrefixTuning; }

 private:
  PromptConfig config_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::LSTM lstm_head_{nullptr};
  torch::nn::Sequential head_{nullptr};  // mlp_head (P-tuning) or transform (prefix projection)
};
TORCH_MODULE(PromptEncoder);

}  // namespace fsllm::peft
