// SPDX-License-Identifier: Apache-2.0
// Decoding loop; see generate.h. Top-p keeps the smallest set of tokens whose probability mass reaches p
// (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration"), always keeping the best token.
#include "train/generate.h"

#include <algorithm>

#include "core/error.h"

namespace fsllm::train {

int64_t sample_next(const torch::Tensor& logits, const GenerateOptions& o, at::Generator& generator) {
  if (o.temperature <= 0.0) return logits.argmax().item<int64_t>();
  auto scaled = logits / o.temperature;  // (V)
  if (o.top_k > 0 && o.top_k < scaled.size(0)) {
    auto kth = std::get<0>(scaled.topk(o.top_k)).min();
    scaled = scaled.masked_fill(scaled < kth, -std::numeric_limits<float>::infinity());
  }
  auto probs = torch::softmax(scaled, /*dim=*/-1);
  if (o.top_p < 1.0) {
    auto [sorted, order] = probs.sort(/*dim=*/-1, /*descending=*/true);
    auto mass_before = sorted.cumsum(/*dim=*/-1) - sorted;  // mass of strictly better tokens
    auto drop_sorted = mass_before >= o.top_p;
    auto drop = torch::zeros_like(drop_sorted).scatter(0, order, drop_sorted);
    probs = probs.masked_fill(drop, 0.0);
  }
  return torch::multinomial(probs, /*num_samples=*/1, /*replacement=*/false, generator).item<int64_t>();
}

std::vector<int64_t> generate(model::CausalLmImpl& model, const std::vector<int64_t>& prompt,
                              const GenerateOptions& o, const std::function<void(int64_t)>& on_token,
                              const std::atomic<bool>& stop) {
  const auto& config = model.config();
  FSLLM_CHECK(!prompt.empty(), ErrorCode::kInvalidArg, "generate needs a non-empty prompt (at least a BOS token)");
  FSLLM_CHECK(static_cast<int64_t>(prompt.size()) < config.max_positions, ErrorCode::kInvalidArg,
              "The prompt has " + std::to_string(prompt.size()) + " tokens; the model supports " +
                  std::to_string(config.max_positions));
  for (auto id : prompt) {
    FSLLM_CHECK(id >= 0 && id < config.vocab_size, ErrorCode::kInvalidArg,
                "prompt has token id " + std::to_string(id) + " outside the vocabulary");
  }
  torch::NoGradGuard no_grad;
  model.eval();
  amp::AutocastGuard autocast(o.precision, model.lm_head_weight().device());
  auto device = model.lm_head_weight().device();
  auto generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  model::KvCache cache;
  auto step_ids = torch::tensor(prompt, torch::kInt64).unsqueeze(0).to(device);  // (1, T)
  const int64_t budget = std::min<int64_t>(o.max_new_tokens, config.max_positions - static_cast<int64_t>(prompt.size()));
  std::vector<int64_t> out;
  for (int64_t i = 0; i < budget && !stop.load(); ++i) {
    auto mask = torch::ones({1, cache.length() + step_ids.size(1)}, torch::TensorOptions().dtype(torch::kBool).device(device));
    auto hidden = model.hidden_states(step_ids, mask, &cache);         // (1, T, D)
    auto last = model.logits(hidden.select(1, hidden.size(1) - 1))    // (1, V)
                    .squeeze(0).to(torch::kCPU, torch::kFloat32);
    const auto next = sample_next(last, o, generator);
    out.push_back(next);
    if (on_token) on_token(next);
    if (std::find(o.eos_ids.begin(), o.eos_ids.end(), next) != o.eos_ids.end()) break;
    step_ids = torch::full({1, 1}, next, torch::TensorOptions().dtype(torch::kInt64).device(device));
  }
  return out;
}

}  // namespace fsllm::train
