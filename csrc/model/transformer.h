// SPDX-License-Identifier: Apache-2.0
// Decoder-only causal LMs. `CausalLmImpl` is what the rest of the core sees: final hidden states, the
// LM head weight (for the chunked loss), and the projections LoRA can attach to. Families:
// LlamaForCausalLM (also Qwen2/Mistral layouts) and GPT2LMHeadModel, registered under HF key names.
#pragma once

#include "model/block.h"
#include "peft/prompt_encoder.h"

namespace fsllm::model {

class CausalLmImpl : public torch::nn::Module {
 public:
  explicit CausalLmImpl(const ModelConfig& config);
  const ModelConfig& config() const { return config_; }

  // ids: (B, T) int64; key_mask: (B, P+T) bool, true for real tokens. Returns normed hidden (B, T, D).
  // With a prompt attached, its virtual tokens come first in every row: callers' ids, masks and segments
  // describe their own tokens only, and the hidden states returned are those of their tokens. With `lead`
  // and virtual inputs (leads_inputs()), the last virtual token's state comes first, (B, 1+T, D): the state
  // that predicts a row's first token, as the loss of PEFT's prompt tuning and P-tuning counts it.
  // `segments` (B, T) int64, optional (no cache): packed rows, where each example has its own id > 0
  // (0 = padding); tokens attend only within their segment and positions restart at each segment.
  // `tap`, optional: also captures the hidden state after tap->after blocks (validated against L, else
  // fsllm::Error kInvalidArg naming `tap`); with tap->stop the later blocks are skipped and the returned
  // tensor is undefined.
  torch::Tensor hidden_states(const torch::Tensor& ids, const torch::Tensor& key_mask, KvCache* cache,
                              const torch::Tensor& segments = {}, HiddenTap* tap = nullptr, bool lead = false);
  // Logits for hidden states (..., D) -> (..., V).
  torch::Tensor logits(const torch::Tensor& hidden);
  virtual torch::Tensor lm_head_weight() = 0;  // (V, D)
  // Where the weights are (Model.load's `device`); inputs are made there.
  torch::Device device() { return lm_head_weight().device(); }

  // (vocab, D): the input embedding table (prompt tuning starts virtual tokens from its rows).
  virtual torch::Tensor word_embeddings() = 0;

  // Prompt learning (peft/prompt_encoder.h). While a prompt is attached, every row is preceded by its
  // virtual tokens, as input embeddings (prompt tuning, P-tuning) or as each layer's leading keys and values
  // (prefix tuning); their parameters are the trainable state. Throws fsllm::Error(kInvalidArg) when a prompt
  // is already attached or the config is invalid. Both bump adapter_version().
  void attach_prompt(const peft::PromptConfig& config);
  void detach_prompt();
  // Null when no prompt is attached.
  peft::PromptEncoder prompt_encoder() const { return prompt_; }
  int64_t virtual_tokens() const { return prompt_ ? prompt_->virtual_tokens() : 0; }
  // True when the virtual tokens are inputs (prompt tuning, P-tuning), whose last one predicts a row's first token.
  bool leads_inputs() const { return prompt_ && !prompt_->is_prefix(); }

  // Every projection LoRA can wrap, with its qualified name (e.g. "model.layers.0.self_attn.q_proj").
  std::vector<std::pair<std::string, peft::LoraLinear>> projections();
  // Layer index of a qualified module name, or -1 (embeddings, head).
  static int64_t layer_of(const std::string& qualified_name);

  // Bumped whenever the set of trainable tensors changes (LoRA attached or removed, blocks unfrozen or
  // frozen by peft::set_layers_trainable), so a TrainSession
  // bound to the old tensors can tell it is stale instead of silently training nothing.
  int64_t adapter_version() const { return adapter_version_; }
  void bump_adapter_version() { ++adapter_version_; }
  // Bumped whenever the values of trainable tensors change (an import, an optimizer step), so data-parallel
  // ranks can tell when their replicas need rank 0's values again.
  int64_t weights_version() const { return weights_version_; }
  void bump_weights_version() { ++weights_version_; }

  // While set (and gradients are on), each block keeps only its input and runs again in backward
  // (model/checkpoint.h): activation memory of one block instead of all, for a second forward pass.
  void set_checkpoint_blocks(bool on) { checkpoint_blocks_ = on; }

 protected:
  // (B, T) ids -> (B, T, D) word embeddings.
  virtual torch::Tensor embed_tokens(const torch::Tensor& ids) = 0;
  // Adds what the family's embedding takes from positions (B, T) to x (B, T, D): GPT-2's learned table;
  // nothing for rotary models, whose positions act inside attention.
  virtual torch::Tensor add_positions(const torch::Tensor& x, const torch::Tensor& /*positions*/) { return x; }
  // The family's blocks in order, each a DecoderBlock.
  virtual torch::nn::ModuleList blocks() = 0;
  virtual torch::Tensor final_norm(const torch::Tensor& x) = 0;

  ModelConfig config_;
  Rope rope_;
  int64_t adapter_version_ = 0;
  int64_t weights_version_ = 0;
  bool checkpoint_blocks_ = false;

 private:
  // Runs the blocks in order; `tap` (may be null) is offered every intermediate state (HiddenTap::reached).
  torch::Tensor run_blocks(torch::Tensor x, ForwardContext& ctx, HiddenTap* tap);
  // Per layer, the prefix's keys and values (B, Hkv, V, Hd), from the attached prefix-tuning encoder.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> prefix_keys_values(int64_t batch);

  peft::PromptEncoder prompt_{nullptr};
};

class LlamaModelImpl : public torch::nn::Module {
 public:
  explicit LlamaModelImpl(const ModelConfig& config);
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RmsNorm norm{nullptr};
};
TORCH_MODULE(LlamaModel);

class LlamaForCausalLmImpl : public CausalLmImpl {
 public:
  explicit LlamaForCausalLmImpl(const ModelConfig& config);
  torch::Tensor lm_head_weight() override;
  torch::Tensor word_embeddings() override;

 protected:
  torch::Tensor embed_tokens(const torch::Tensor& ids) override;
  torch::nn::ModuleList blocks() override;
  torch::Tensor final_norm(const torch::Tensor& x) override;

 private:
  LlamaModel model_{nullptr};
  peft::LoraLinear lm_head_{nullptr};  // null when tied to embed_tokens
};

class Gpt2ModelImpl : public torch::nn::Module {
 public:
  explicit Gpt2ModelImpl(const ModelConfig& config);
  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};
};
TORCH_MODULE(Gpt2Model);

class Gpt2LmHeadModelImpl : public CausalLmImpl {
 public:
  explicit Gpt2LmHeadModelImpl(const ModelConfig& config);
  torch::Tensor lm_head_weight() override;
  torch::Tensor word_embeddings() override;

 protected:
  torch::Tensor embed_tokens(const torch::Tensor& ids) override;
  torch::Tensor add_positions(const torch::Tensor& x, const torch::Tensor& positions) override;
  torch::nn::ModuleList blocks() override;
  torch::Tensor final_norm(const torch::Tensor& x) override;

 private:
  Gpt2Model transformer_{nullptr};
};

// Builds the family's module tree with its base weights allocated but unwritten (weights/load fills them). Validates the config.
std::shared_ptr<CausalLmImpl> make_causal_lm(const ModelConfig& config);

}  // namespace fsllm::model
