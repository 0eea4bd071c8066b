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

// Packed rows: a key is visible when it is in the query's segment, not padding, and not in the future. The
// `V` keys before the row (a prompt's virtual tokens) are visible to every real query, as each example would
// see them alone; with `virtual_queries` they are the first V queries too, seeing one another causally.
// Returns (B, 1, Tq, V + T) with Tq = T, or V + T with virtual queries.
torch::Tensor segment_bias(const torch::Tensor& segments, int64_t V, bool virtual_queries) {
  const auto B = segments.size(0), T = segments.size(1), S = V + T;
  auto opts = torch::TensorOptions().device(segments.device());
  // Virtual tokens form a segment of their own (-1), never padding (0).
  auto keys = V > 0 ? torch::cat({torch::full({B, V}, -1, segments.options()), segments}, /*dim=*/1) : segments;  // (B, S)
  auto queries = virtual_queries ? keys : segments;
  auto k_idx = torch::arange(S, opts.dtype(torch::kInt64));
  auto q_idx = torch::arange(S - queries.size(1), S, opts.dtype(torch::kInt64));
  auto causal = (k_idx.unsqueeze(0) <= q_idx.unsqueeze(1)).unsqueeze(0);      // (1, Tq, S)
  auto same = queries.unsqueeze(2) == keys.unsqueeze(1);                      // (B, Tq, S)
  auto shared = (k_idx < V).view({1, 1, S});                                  // virtual keys
  auto allowed = causal & (same | shared) & (queries != 0).unsqueeze(2);
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
                                          const torch::Tensor& segments, HiddenTap* tap, bool lead) {
  FSLLM_CHECK(tap == nullptr || (tap->after >= 0 && tap->after <= config_.num_layers), ErrorCode::kInvalidArg,
              "Expected an integer in [0, " + std::to_string(config_.num_layers) + "] (0 = embeddings, " +
                  std::to_string(config_.num_layers) + " = after the last block) for tap but received " +
                  std::to_string(tap->after));
  const auto B = ids.size(0), T = ids.size(1);
  // A prompt's V virtual tokens are always the first keys. They are computed on a call that starts the
  // sequence; a generation's later calls find them in the cache.
  const int64_t V = virtual_tokens();
  const bool starts = V > 0 && (cache == nullptr || cache->length() == 0);
  const bool virtual_inputs = starts && !prompt_->is_prefix();  // prompt tuning / P-tuning: V more queries
  const int64_t Tq = virtual_inputs ? V + T : T;
  const auto mask = V > 0 ? torch::cat({torch::ones({B, V}, key_mask.options()), key_mask}, /*dim=*/1) : key_mask;
  FSLLM_CHECK(V == 0 || mask.size(1) <= config_.max_positions, ErrorCode::kInvalidArg,
              std::to_string(key_mask.size(1)) + " tokens after the prompt's " + std::to_string(V) +
                  " virtual tokens exceed the model's " + std::to_string(config_.max_positions) +
                  " positions; truncate the input to at most " + std::to_string(config_.max_positions - V) + " tokens");
  ForwardContext ctx;
  ctx.cache = cache;
  torch::Tensor positions;  // (B, Tq)
  if (segments.defined()) {
    positions = segment_positions(segments) + V;
    if (virtual_inputs) positions = torch::cat({torch::arange(V, positions.options()).expand({B, V}), positions}, /*dim=*/1);
    ctx.attn_bias = segment_bias(segments, V, virtual_inputs);
  } else {
    // Position of each token = number of real tokens before it (matches HF for left and right padding).
    positions = (mask.to(torch::kInt64).cumsum(/*dim=*/1) - 1).clamp_min(0).narrow(1, mask.size(1) - Tq, Tq);
    ctx.attn_bias = attention_bias(mask, Tq);
  }
  if (rope_.enabled()) {
    auto dtype = torch::kFloat32;
    std::tie(ctx.cos, ctx.sin) = rope_.tables(positions, dtype);
  }
  if (cache != nullptr && cache->layers.empty()) cache->layers.resize(config_.num_layers);
  if (cache != nullptr && starts) cache->fixed = V;
  auto x = embed_tokens(ids);  // (B, T, D)
  if (virtual_inputs) x = torch::cat({prompt_->forward().to(x.scalar_type()).unsqueeze(0).expand({B, V, x.size(2)}), x}, /*dim=*/1);
  if (starts && prompt_->is_prefix()) ctx.prefix = prefix_keys_values(B);
  x = add_positions(x, positions);
  x = run_blocks(x, ctx, tap);
  if (virtual_inputs) {
    // The virtual tokens' states are no caller's output, except, with `lead`, the last one's (it predicts the first token).
    if (tap != nullptr && tap->value.defined()) tap->value = tap->value.narrow(/*dim=*/1, V, T);
    x = lead ? x.narrow(/*dim=*/1, V - 1, T + 1) : x.narrow(/*dim=*/1, V, T);
  }
  if (tap != nullptr && tap->stop) return {};
  return final_norm(x);
}

void CausalLmImpl::attach_prompt(const peft::PromptConfig& config) {
  FSLLM_CHECK(!prompt_, ErrorCode::kInvalidArg, "A prompt adapter is already attached; detach it first");
  const bool prefix = config.method == peft::PromptMethod::kPrefixTuning;
  // PEFT's prefix width per virtual token: keys and values of every layer, kv_heads * head_dim each.
  const int64_t kv_width = config_.num_kv_heads * config_.head_dim;
  const int64_t token_dim = prefix ? kv_width : config_.hidden_size;
  const int64_t output = prefix ? config_.num_layers * 2 * kv_width : config_.hidden_size;
  peft::PromptEncoder encoder(config, token_dim, output, word_embeddings().detach());
  encoder->to(lm_head_weight().device());
  prompt_ = register_module("prompt_encoder", encoder);
  bump_adapter_version();
}

void CausalLmImpl::detach_prompt() {
  if (!prompt_) return;
  unregister_module("prompt_encoder");
  prompt_ = nullptr;
  bump_adapter_version();
}

std::vector<std::pair<torch::Tensor, torch::Tensor>> CausalLmImpl::prefix_keys_values(int64_t batch) {
  const int64_t V = virtual_tokens(), L = config_.num_layers, Hkv = config_.num_kv_heads, Hd = config_.head_dim;
  // (V, L*2*Hkv*Hd) -> (L*2, Hkv, V, Hd): PEFT's layout, layer l's keys at 2l and values at 2l + 1. Keys are
  // used as stored (no rotary), as they are in PEFT.
  auto all = prompt_->forward().view({V, L * 2, Hkv, Hd}).permute({1, 2, 0, 3});
  std::vector<std::pair<torch::Tensor, torch::Tensor>> out;
  out.reserve(L);
  for (int64_t l = 0; l < L; ++l) {
    out.emplace_back(all[2 * l].unsqueeze(0).expand({batch, Hkv, V, Hd}), all[2 * l + 1].unsqueeze(0).expand({batch, Hkv, V, Hd}));
  }
  return out;
}

torch::Tensor CausalLmImpl::run_blocks(torch::Tensor x, ForwardContext& ctx, HiddenTap* tap) {
  const auto list = blocks();
  int64_t i = 0;
  for (const auto& block : *list) {
    if (tap != nullptr && tap->reached(i, x)) return x;
    auto* decoder = block->as<DecoderBlock>();
    if (checkpoint_blocks_ && torch::GradMode::is_enabled()) {
      // A block's recomputation back-propagates into its input only; a prefix enters every block beside it.
      FSLLM_CHECK(ctx.prefix.empty(), ErrorCode::kUnsupported,
                  "checkpointActivations does not support prefix tuning yet; set it to false to train a prefix");
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

torch::Tensor LlamaForCausalLmImpl::word_embeddings() { return model_->embed_tokens->weight; }

torch::Tensor LlamaForCausalLmImpl::embed_tokens(const torch::Tensor& ids) { return model_->embed_tokens(ids); }

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

torch::Tensor Gpt2LmHeadModelImpl::word_embeddings() { return transformer_->wte->weight; }

torch::Tensor Gpt2LmHeadModelImpl::embed_tokens(const torch::Tensor& ids) { return transformer_->wte(ids); }

torch::Tensor Gpt2LmHeadModelImpl::add_positions(const torch::Tensor& x, const torch::Tensor& positions) {
  return x + transformer_->wpe(positions);  // (B, T, D)
}

torch::nn::ModuleList Gpt2LmHeadModelImpl::blocks() { return transformer_->h; }

torch::Tensor Gpt2LmHeadModelImpl::final_norm(const torch::Tensor& x) { return transformer_->ln_f(x); }

std::shared_ptr<CausalLmImpl> make_causal_lm(const ModelConfig& config) {
  if (config.family == Family::kGpt2) return std::make_shared<Gpt2LmHeadModelImpl>(config);
  return std::make_shared<LlamaForCausalLmImpl>(config);
}

}  // namespace fsllm::model
