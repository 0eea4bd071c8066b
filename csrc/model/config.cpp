// SPDX-License-Identifier: Apache-2.0
// Consistency checks for ModelConfig, so a bad config.json fails with a named field, not a shape error.
#include "model/config.h"

#include "core/error.h"

namespace fsllm::model {

namespace {
void require_positive(int64_t value, const char* field) {
  FSLLM_CHECK(value > 0, ErrorCode::kInvalidArg,
              std::string("Expected a positive integer for config.") + field + " but received " +
                  std::to_string(value));
}
}  // namespace

void validate(const ModelConfig& c) {
  require_positive(c.vocab_size, "vocabSize");
  require_positive(c.hidden_size, "hiddenSize");
  require_positive(c.intermediate_size, "intermediateSize");
  require_positive(c.num_layers, "numLayers");
  require_positive(c.num_heads, "numHeads");
  require_positive(c.num_kv_heads, "numKvHeads");
  require_positive(c.head_dim, "headDim");
  require_positive(c.max_positions, "maxPositions");
  FSLLM_CHECK(c.num_heads % c.num_kv_heads == 0, ErrorCode::kInvalidArg,
              "config.numHeads (" + std::to_string(c.num_heads) +
                  ") must be a multiple of config.numKvHeads (" + std::to_string(c.num_kv_heads) + ")");
  FSLLM_CHECK(c.head_dim % 2 == 0 || c.family == Family::kGpt2, ErrorCode::kInvalidArg,
              "config.headDim must be even for rotary embeddings");
  FSLLM_CHECK(c.family != Family::kGpt2 || c.num_heads * c.head_dim == c.hidden_size,
              ErrorCode::kInvalidArg, "GPT-2 needs config.numHeads * config.headDim == config.hiddenSize");
  FSLLM_CHECK(c.norm_eps > 0, ErrorCode::kInvalidArg, "config.normEps must be positive");
}

}  // namespace fsllm::model
