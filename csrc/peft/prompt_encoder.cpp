// SPDX-License-Identifier: Apache-2.0
// PromptEncoder; see prompt_encoder.h. Initial values follow torch's defaults for each layer type (what PEFT
// gets), drawn from one seeded CPU generator so a seed gives the same adapter on every machine and device.
#include "peft/prompt_encoder.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace fsllm::peft {

namespace {

const char* method_name(PromptMethod m) {
  switch (m) {
    case PromptMethod::kPromptTuning: return "prompt tuning";
    case PromptMethod::kPTuning: return "P-tuning";
    case PromptMethod::kPrefixTuning: return "prefix tuning";
  }
  return "prompt learning";
}

void check(const PromptConfig& c, int64_t vocab) {
  const std::string method = method_name(c.method);
  FSLLM_CHECK(c.virtual_tokens >= 1 && c.virtual_tokens <= 4096, ErrorCode::kInvalidArg,
              "Expected an integer between 1 and 4096 for prompt.virtualTokens but received " + std::to_string(c.virtual_tokens));
  const bool fits = c.method == PromptMethod::kPromptTuning   ? c.encoder == PromptEncoderType::kNone
                    : c.method == PromptMethod::kPTuning      ? c.encoder == PromptEncoderType::kMlp || c.encoder == PromptEncoderType::kLstm
                                                              : c.encoder == PromptEncoderType::kNone || c.encoder == PromptEncoderType::kProjection;
  FSLLM_CHECK(fits, ErrorCode::kInvalidArg,
              "prompt.encoder does not apply to " + method + ": P-tuning takes 'mlp' or 'lstm', prefix tuning 'none' or "
              "'projection', prompt tuning 'none'");
  FSLLM_CHECK(c.encoder_hidden >= 0, ErrorCode::kInvalidArg, "Expected a positive integer for prompt.encoderHiddenSize");
  FSLLM_CHECK(c.encoder != PromptEncoderType::kLstm || c.encoder_layers >= 1, ErrorCode::kInvalidArg,
              "Expected a positive integer for prompt.encoderLayers");
  FSLLM_CHECK(c.encoder_dropout >= 0.0 && c.encoder_dropout < 1.0, ErrorCode::kInvalidArg,
              "Expected a number in [0, 1) for prompt.encoderDropout");
  FSLLM_CHECK(c.init_ids.empty() || c.method == PromptMethod::kPromptTuning, ErrorCode::kInvalidArg,
              "prompt.initText / initIds seed prompt tuning only, not " + method);
  FSLLM_CHECK(c.init_ids.empty() || static_cast<int64_t>(c.init_ids.size()) == c.virtual_tokens, ErrorCode::kInvalidArg,
              "Expected one init id per virtual token (" + std::to_string(c.virtual_tokens) + ") but received " +
                  std::to_string(c.init_ids.size()));
  for (auto id : c.init_ids) {
    FSLLM_CHECK(id >= 0 && id < vocab, ErrorCode::kInvalidArg,
                "prompt init id " + std::to_string(id) + " is outside the vocabulary (" + std::to_string(vocab) + " ids)");
  }
}

torch::nn::Linear linear(int64_t in, int64_t out) { return torch::nn::Linear(torch::nn::LinearOptions(in, out)); }

// U(-bound, bound) in place, from `gen`: torch's default for Linear (bound 1/sqrt(in), weight and bias) and
// LSTM (1/sqrt(hidden), every tensor).
void uniform(torch::Tensor& t, double bound, torch::Generator& gen) {
  t.copy_(torch::empty(t.sizes(), torch::kFloat32).uniform_(-bound, bound, gen));
}

}  // namespace

PromptEncoderImpl::PromptEncoderImpl(const PromptConfig& config, int64_t token_dim, int64_t output_width,
                                     const torch::Tensor& word_embeddings)
    : config_(config) {
  check(config_, word_embeddings.size(0));
  const int64_t V = config_.virtual_tokens;
  const int64_t hidden = config_.encoder_hidden > 0 ? config_.encoder_hidden : token_dim;
  const auto encoder = config_.encoder;
  embedding_ = register_module("embedding", torch::nn::Embedding(V, encoder == PromptEncoderType::kNone ? output_width : token_dim));
  if (encoder == PromptEncoderType::kMlp) {
    head_ = register_module("mlp_head", torch::nn::Sequential(linear(token_dim, hidden), torch::nn::ReLU(), linear(hidden, hidden),
                                                              torch::nn::ReLU(), linear(hidden, output_width)));
  } else if (encoder == PromptEncoderType::kLstm) {
    lstm_head_ = register_module("lstm_head", torch::nn::LSTM(torch::nn::LSTMOptions(token_dim, hidden)
                                                                  .num_layers(config_.encoder_layers)
                                                                  .dropout(config_.encoder_dropout)
                                                                  .bidirectional(true)
                                                                  .batch_first(true)));
    head_ = register_module("mlp_head", torch::nn::Sequential(linear(2 * hidden, 2 * hidden), torch::nn::ReLU(),
                                                              linear(2 * hidden, output_width)));
  } else if (encoder == PromptEncoderType::kProjection) {
    head_ = register_module("transform", torch::nn::Sequential(linear(token_dim, hidden), torch::nn::Tanh(),
                                                               linear(hidden, output_width)));
  }

  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(config_.seed);
  auto& rows = embedding_->weight;
  if (!config_.init_ids.empty()) {
    auto ids = torch::tensor(config_.init_ids, torch::kInt64).to(word_embeddings.device());
    rows.copy_(word_embeddings.index_select(0, ids).to(torch::kFloat32));
  } else {
    rows.copy_(torch::empty(rows.sizes(), torch::kFloat32).normal_(0.0, 1.0, gen));
  }
  if (lstm_head_) {
    for (auto& p : lstm_head_->parameters()) uniform(p, 1.0 / std::sqrt(static_cast<double>(hidden)), gen);
  }
  if (head_) {
    for (auto& m : head_->modules(/*include_self=*/false)) {
      auto* layer = m->as<torch::nn::LinearImpl>();
      if (layer == nullptr) continue;
      const double bound = 1.0 / std::sqrt(static_cast<double>(layer->options.in_features()));
      uniform(layer->weight, bound, gen);
      uniform(layer->bias, bound, gen);
    }
  }
}

torch::Tensor PromptEncoderImpl::forward() {
  auto x = embedding_->weight;  // (V, token_dim), or (V, output_width) without an encoder
  if (lstm_head_) x = std::get<0>(lstm_head_->forward(x.unsqueeze(0))).squeeze(0);  // (V, 2 * hidden)
  if (head_) x = head_->forward(x);
  return x;
}

}  // namespace fsllm::peft
