// SPDX-License-Identifier: Apache-2.0
// JS option objects -> POD structs, on the JS thread, once per call (Execute never touches a Napi::Value).
// TS validates first with friendly messages; these checks refuse anything malformed that slips through.
#pragma once

#include <napi.h>

#include "amp/grad_scaler.h"
#include "io/tensor_loader.h"
#include "model/config.h"
#include "optim/optimizer.h"
#include "peft/lora_config.h"
#include "peft/prompt_config.h"
#include "train/align_step.h"
#include "train/generate.h"
#include "train/train_session.h"

namespace fsllm::bindings {

// Typed getters: missing -> fallback; wrong type -> ERR_FSLLM_INVALID_ARG naming `path.key`.
double get_number(Napi::Object obj, const char* key, const std::string& path, double fallback);
int64_t get_int(Napi::Object obj, const char* key, const std::string& path, int64_t fallback);
bool get_bool(Napi::Object obj, const char* key, const std::string& path, bool fallback);
std::string get_string(Napi::Object obj, const char* key, const std::string& path, const std::string& fallback);
Napi::Object expect_object(Napi::Env env, Napi::Value value, const std::string& path);

model::ModelConfig parse_model_config(Napi::Object obj);
peft::LoraConfig parse_lora_config(Napi::Object obj);
peft::PromptConfig parse_prompt_config(Napi::Object obj);
optim::OptimizerConfig parse_optimizer_config(Napi::Object obj);
amp::GradScalerConfig parse_scaler_config(Napi::Object obj);
amp::Precision parse_precision(Napi::Object obj, const std::string& path);
train::StepOptions parse_step_options(Napi::Object obj);
train::AlignOptions parse_align_options(Napi::Object obj);
// Optional `layers` of createSession's options: absent -> empty (every layer); else a non-empty array of integers.
std::vector<int64_t> parse_session_layers(Napi::Object options);
train::GenerateOptions parse_generate_options(Napi::Object obj);
std::vector<io::TensorSourceSpec> parse_tensor_sources(Napi::Env env, Napi::Value value);

}  // namespace fsllm::bindings
