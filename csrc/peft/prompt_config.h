// SPDX-License-Identifier: Apache-2.0
// Prompt-learning hyper-parameters (POD, parsed from JS once), as HF PEFT's PromptTuningConfig,
// PromptEncoderConfig (P-tuning) and PrefixTuningConfig name them.
#pragma once

#include <cstdint>
#include <vector>

namespace fsllm::peft {

enum class PromptMethod {
  kPromptTuning,  // trainable embeddings before the input (Lester et al. 2021)
  kPTuning,       // the same virtual tokens, produced by a trained encoder (Liu et al. 2021, "GPT Understands, Too")
  kPrefixTuning,  // trainable keys and values before every layer's own (Li & Liang 2021)
};

// What turns the virtual token embeddings into what the model consumes.
enum class PromptEncoderType {
  kNone,        // the embeddings are used as they are (prompt tuning, prefix tuning without projection)
  kMlp,         // P-tuning: Linear-ReLU-Linear-ReLU-Linear
  kLstm,        // P-tuning: bidirectional LSTM, then Linear-ReLU-Linear
  kProjection,  // prefix tuning's prefix_projection: Linear-Tanh-Linear
};

struct PromptConfig {
  PromptMethod method = PromptMethod::kPromptTuning;
  PromptEncoderType encoder = PromptEncoderType::kNone;
  int64_t virtual_tokens = 20;
  // Hidden width of the encoder (PEFT's encoder_hidden_size); 0 = the encoder's input width.
  int64_t encoder_hidden = 0;
  int64_t encoder_layers = 2;    // LSTM layers
  double encoder_dropout = 0.0;  // between LSTM layers, in training
  // Prompt tuning initialised from text or sampled vocabulary: one token id per virtual token, whose word
  // embedding starts that row. Empty: random N(0, 1), as torch.nn.Embedding.
  std::vector<int64_t> init_ids;
  uint64_t seed = 0;
};

}  // namespace fsllm::peft
