// SPDX-License-Identifier: Apache-2.0
// Hyper-parameters of a decoder-only transformer, as a POD filled from JS (lib/formats normalises
// every checkpoint format to this). No parsing here.
//
// Shape legend used in every shape comment of csrc/:
//   B batch, T tokens (this call), P past tokens (KV cache), D model dim, H heads, Hkv key/value heads,
//   Hd head dim, F MLP hidden dim, V vocab, L layers, R LoRA rank, N rows (B*T flattened).
#pragma once

#include <cstdint>
#include <string>

namespace fsllm::model {

enum class Family { kLlama, kGpt2 };
enum class Activation { kSilu, kGeluTanh, kGelu };
enum class RopeScalingType { kNone, kLinear, kDynamic, kLlama3 };

struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  double factor = 1.0;
  double low_freq_factor = 1.0;    // llama3 only
  double high_freq_factor = 4.0;   // llama3 only
  int64_t original_max_positions = 8192;  // llama3 and dynamic
};

struct ModelConfig {
  Family family = Family::kLlama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t max_positions = 0;
  double norm_eps = 1e-5;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool attention_bias = false;
  bool tie_word_embeddings = false;
  Activation activation = Activation::kSilu;
};

// Throws fsllm::Error(kInvalidArg) naming the first inconsistent field.
void validate(const ModelConfig& config);

}  // namespace fsllm::model
