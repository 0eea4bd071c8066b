// SPDX-License-Identifier: Apache-2.0
// Pre-norm transformer blocks: h = x + attn(norm1(x)); out = h + mlp(norm2(h)).
// Submodule names follow the Hugging Face checkpoints of each family.
#pragma once

#include "model/attention.h"
#include "model/mlp.h"
#include "model/rms_norm.h"

namespace fsllm::model {

// A hidden state captured during one forward pass: the residual stream after `after` blocks (0 = the
// embedding output, L = after the last block, before the final norm). Lets one pass return both the
// tapped state and the final hidden state (distillation), or stop early when only the tap is wanted.
struct HiddenTap {
  int64_t after = 0;
  bool stop = false;     // skip the blocks after the tap and the final norm
  torch::Tensor value;   // (B, T, D), set by the forward pass

  // Called by run_blocks before each block and once after the last: records `x` when `blocks_done`
  // equals `after`, and returns true when the remaining blocks are to be skipped.
  bool reached(int64_t blocks_done, const torch::Tensor& x) {
    if (blocks_done != after) return false;
    value = x;
    return stop;
  }
};

// A block of either family as CausalLmImpl::run_blocks sees it: (B, T, D) -> (B, T, D), `layer` naming
// its KV-cache slot.
class DecoderBlock : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer) = 0;
};

class LlamaBlockImpl : public DecoderBlock {
 public:
  explicit LlamaBlockImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer) override;  // (B, T, D)

 private:
  RmsNorm input_layernorm_{nullptr}, post_attention_layernorm_{nullptr};
  LlamaAttention self_attn_{nullptr};
  SwiGluMlp mlp_{nullptr};
};
TORCH_MODULE(LlamaBlock);

class Gpt2BlockImpl : public DecoderBlock {
 public:
  explicit Gpt2BlockImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, ForwardContext& ctx, int64_t layer) override;  // (B, T, D)

 private:
  torch::nn::LayerNorm ln_1_{nullptr}, ln_2_{nullptr};
  Gpt2Attention attn_{nullptr};
  Gpt2Mlp mlp_{nullptr};
};
TORCH_MODULE(Gpt2Block);

// A LayerNorm over the last dim with `weight` and `bias` frozen at creation (GPT-2's ln_*).
torch::nn::LayerNorm make_layer_norm(int64_t dim, double eps);

}  // namespace fsllm::model
