// SPDX-License-Identifier: Apache-2.0
// Causal LM families and the shared forward: positions from the key mask, the additive causal/padding
// bias, blocks, final norm. Weights load frozen; LoRA factors and, through peft::set_layers_trainable,
// the base weights of chosen blocks are what requires grad.
#include "model/transformer.h"

#include <limits>

#include "core/error.h"
#include "kernels/linear.h"
#include "model/checkpoint.h"

namespace fsllm::model {

namespace {

torch::nn::Embedding make_embedding(int64_t rows, int64_t dim) {
  torch::nn::Embedding e(torch::nn::EmbeddingOptions(rows, dim));
  e->weight.set_requires_grad(false);
  return e;
}

// Additive attention bias (B, 1, T, P+T): a key is visible when it is a real token and not in the future.
// Uses the lowest finite float rather than -inf so a row with no visible key stays finite (left padding).
torch::Tensor attention_bias(const torch::Tensor& key_mask, int64_t T) {
  const auto S = key_mask.size(1), P = S - T;
  auto opts = torch::TensorOptions().device(key_mask.device());
  auto q_pos = torch::arange(P, S, opts.dtype(torch::kInt64)).unsqueeze(1);  // (T, 1)
  auto k_pos = torch::arange(0, S, opts.dtype(torch::kInt64)).unsqueeze(0);  // (1, S)
  auto allowed = (k_pos <= q_pos).unsqueeze(0) & key_mask.unsqueeze(1);       // (B, T, S)
  auto lowest = torch::full({}, std::numeric_limits<float>::lowest(), opts.dtype(torch::kFloat32));
  return torch::where(allowed, torch::zeros({}, opts.dtype(torch::kFloat32)), lowest).unsqueeze(1);
}

// Packed rows: a key is visible when it is in the query's segment, not padding, and not in the future.
torch::Tensor segment_bias(const torch::Tensor& segments) {
  const auto T = segments.size(1);
  auto opts = torch::TensorOptions().device(segments.device());
  auto idx = torch::arange(T, opts.dtype(torch::kInt64));
  auto causal = (idx.unsqueeze(0) <= idx.unsqueeze(1)).unsqueeze(0);                          // (1, T, T)
  auto same = segments.unsqueeze(2) == segments.unsqueeze(1);                                  // (B, T, T)
  auto allowed = causal & same & (segments != 0).unsqueeze(1);
  auto lowest = torch::full({}, std::numeric_limits<float>::lowest(), opts.dtype(torch::kFloat32));
  return torch::where(allowed, torch::zeros({}, opts.dtype(torch::kFloat32)), lowest).unsqueeze(1);
}

// Position of each token inside its segment: index minus the index where its segment starts.
torch::Tensor segment_positions(const torch::Tensor& segments) {
  const auto T = segments.size(1);
  auto idx = torch::arange(T, segments.options()).unsqueeze(0).expand_as(segments);           // (B, T)
  auto starts = torch::ones_like(segments, torch::kBool);
  starts.narrow(1, 1, T - 1).copy_(segments.narrow(1, 1, T - 1) != segments.narrow(1, 0, T - 1));
  auto start_index = std::get<0>(torch::where(starts, idx, torch::zeros_like(idx)).cummax(/*dim=*/1));
  return idx - start_index;
}

}  // namespace

CausalLmImpl::CausalLmImpl(const ModelConfig& config) : config_(config) {
  validate(config_);
  if (config_.family == Family::kLlama) rope_ = Rope(config_, torch::kCPU);
}

torch::Tensor CausalLmImpl::hidden_states(const torch::Tensor& ids, const torch::Tensor& key_mask, KvCache* cache,
                                          const torch::Tensor& segments, HiddenTap* tap) {
  FSLLM_CHECK(tap == nullptr || (tap->after >= 0 && tap->after <= config_.num_layers), ErrorCode::kInvalidArg,
              "Expected an integer in [0, " + std::to_string(config_.num_layers) + "] (0 = embeddings, " +
                  std::to_string(config_.num_layers) + " = after the last block) for tap but received " +
                  std::to_string(tap->after));
  const auto T = ids.size(1);
  ForwardContext ctx;
  ctx.cache = cache;
  torch::Tensor positions;
  if (segments.defined()) {
    positions = segment_positions(segments);
    ctx.attn_bias = segment_bias(segments);
  } else {
    // Position of each token = number of real tokens before it (matches HF for left and right padding).
    positions = (key_mask.to(torch::kInt64).cumsum(/*dim=*/1) - 1).clamp_min(0).narrow(1, key_mask.size(1) - T, T);
    ctx.attn_bias = attention_bias(key_mask, T);
  }
  if (rope_.enabled()) {
    auto dtype = torch::kFloat32;
    std::tie(ctx.cos, ctx.sin) = rope_.tables(positions, dtype);
  }
  if (cache != nullptr && cache->layers.empty()) cache->layers.resize(config_.num_layers);
  auto x = embed(ids, positions);  // (B, T, D)
  x = run_blocks(x, ctx, tap);
  if (tap != nullptr && tap->stop) return {};
  return final_norm(x);
}

torch::Tensor CausalLmImpl::run_blocks(torch::Tensor x, ForwardContext& ctx, HiddenTap* tap) {
  const auto list = blocks();
  int64_t i = 0;
  for (const auto& block : *list) {
    if (tap != nullptr && tap->reached(i, x)) return x;
    auto* decoder = block->as<DecoderBlock>();
    if (checkpoint_blocks_ && torch::GradMode::is_enabled()) {
      // The recomputation runs after this call has returned: it holds the block and a copy of the context.
      std::shared_ptr<torch::nn::Module> keep = block;
      x = checkpointed([keep, decoder, ctx, i](const torch::Tensor& in) mutable { return decoder->forward(in, ctx, i); }, x);
    } else {
      x = decoder->forward(x, ctx, i);
    }
    ++i;
  }
  if (tap != nullptr) tap->reached(i, x);
  return x;
}

torch::Tensor CausalLmImpl::logits(const torch::Tensor& hidden) {
  return kernels::linear(hidden, lm_head_weight());  // (..., D) -> (..., V)
}

std::vector<std::pair<std::string, peft::LoraLinear>> CausalLmImpl::projections() {
  std::vector<std::pair<std::string, peft::LoraLinear>> out;
  for (const auto& item : named_modules(/*name_prefix=*/"", /*include_self=*/false)) {
    if (auto linear = std::dynamic_pointer_cast<peft::LoraLinearImpl>(item.value())) {
      out.emplace_back(item.key(), peft::LoraLinear(linear));
    }
  }
  return out;
}

int64_t CausalLmImpl::layer_of(const std::string& name) {
  for (const char* marker : {".layers.", ".h."}) {
    auto at = name.find(marker);
    if (at == std::string::npos) continue;
    auto start = at + std::string(marker).size();
    auto end = name.find('.', start);
    return std::stoll(name.substr(start, end - start));
  }
  return -1;
}

// --- LLaMA family

LlamaModelImpl::LlamaModelImpl(const ModelConfig& c) {
  embed_tokens = register_module("embed_tokens", make_embedding(c.vocab_size, c.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) layers->push_back(LlamaBlock(c));
  norm = register_module("norm", RmsNorm(c.hidden_size, c.norm_eps));
}

LlamaForCausalLmImpl::LlamaForCausalLmImpl(const ModelConfig& c) : CausalLmImpl(c) {
  model_ = register_module("model", LlamaModel(c));
  if (!c.tie_word_embeddings) lm_head_ = register_module("lm_head", peft::LoraLinear(c.hidden_size, c.vocab_size, false));
}

torch::Tensor LlamaForCausalLmImpl::lm_head_weight() {
  return lm_head_ ? lm_head_->weight() : model_->embed_tokens->weight;
}

torch::Tensor LlamaForCausalLmImpl::embed(const torch::Tensor& ids, const torch::Tensor& /*positions*/) {
  return model_->embed_tokens(ids);
}

torch::nn::ModuleList LlamaForCausalLmImpl::blocks() { return model_->layers; }

torch::Tensor LlamaForCausalLmImpl::final_norm(const torch::Tensor& x) { return model_->norm(x); }

// --- GPT-2 family

Gpt2ModelImpl::Gpt2ModelImpl(const ModelConfig& c) {
  wte = register_module("wte", make_embedding(c.vocab_size, c.hidden_size));
  wpe = register_module("wpe", make_embedding(c.max_positions, c.hidden_size));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) h->push_back(Gpt2Block(c));
  ln_f = register_module("ln_f", make_layer_norm(c.hidden_size, c.norm_eps));
}

Gpt2LmHeadModelImpl::Gpt2LmHeadModelImpl(const ModelConfig& c) : CausalLmImpl(c) {
  transformer_ = register_module("transformer", Gpt2Model(c));
}

torch::Tensor Gpt2LmHeadModelImpl::lm_head_weight() { return transformer_->wte->weight; }

torch::Tensor Gpt2LmHeadModelImpl::embed(const torch::Tensor& ids, const torch::Tensor& positions) {
  return transformer_->wte(ids) + transformer_->wpe(positions);  // (B, T, D)
}

torch::nn::ModuleList Gpt2LmHeadModelImpl::blocks() { return transformer_->h; }

torch::Tensor Gpt2LmHeadModelImpl::final_norm(const torch::Tensor& x) { return transformer_->ln_f(x); }

std::shared_ptr<CausalLmImpl> make_causal_lm(const ModelConfig& config) {
  if (config.family == Family::kGpt2) return std::make_shared<Gpt2LmHeadModelImpl>(config);
  return std::make_shared<LlamaForCausalLmImpl>(config);
}

}  // namespace fsllm::model
