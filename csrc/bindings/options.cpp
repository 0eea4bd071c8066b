// SPDX-License-Identifier: Apache-2.0
// Option parsing; see options.h. Names mirror the TS option types in lib/native/binding.ts.
#include "bindings/options.h"

#include <cmath>

#include "bindings/errors.h"

namespace fsllm::bindings {

namespace {

Napi::Value field(Napi::Object obj, const char* key) { return obj.Has(key) ? obj.Get(key) : obj.Env().Undefined(); }

[[noreturn]] void bad(Napi::Env env, const std::string& path, const char* key, const char* expected) {
  throw_invalid_arg(env, std::string("Expected ") + expected + " for " + path + "." + key);
}

// The integers of a JS array, each checked (no unchecked As<Number>, STYLE 2.4).
std::vector<int64_t> int_array(Napi::Env env, Napi::Array arr, const std::string& what) {
  std::vector<int64_t> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto v = arr.Get(i);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0.5;
    if (d != static_cast<double>(static_cast<int64_t>(d))) throw_invalid_arg(env, "Expected an array of integers for " + what);
    out.push_back(static_cast<int64_t>(d));
  }
  return out;
}

}  // namespace

Napi::Object expect_object(Napi::Env env, Napi::Value value, const std::string& path) {
  if (!value.IsObject()) throw_invalid_arg(env, "Expected an object for " + path);
  return value.As<Napi::Object>();
}

double get_number(Napi::Object obj, const char* key, const std::string& path, double fallback) {
  auto v = field(obj, key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) bad(obj.Env(), path, key, "a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t get_int(Napi::Object obj, const char* key, const std::string& path, int64_t fallback) {
  const double d = get_number(obj, key, path, static_cast<double>(fallback));
  if (d != static_cast<double>(static_cast<int64_t>(d))) bad(obj.Env(), path, key, "an integer");
  return static_cast<int64_t>(d);
}

bool get_bool(Napi::Object obj, const char* key, const std::string& path, bool fallback) {
  auto v = field(obj, key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) bad(obj.Env(), path, key, "a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string get_string(Napi::Object obj, const char* key, const std::string& path, const std::string& fallback) {
  auto v = field(obj, key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) bad(obj.Env(), path, key, "a string");
  return v.As<Napi::String>().Utf8Value();
}

model::ModelConfig parse_model_config(Napi::Object o) {
  const std::string p = "config";
  model::ModelConfig c;
  const auto family = get_string(o, "family", p, "llama");
  if (family != "llama" && family != "gpt2") bad(o.Env(), p, "family", "'llama' or 'gpt2'");
  c.family = family == "gpt2" ? model::Family::kGpt2 : model::Family::kLlama;
  c.vocab_size = get_int(o, "vocabSize", p, 0);
  c.hidden_size = get_int(o, "hiddenSize", p, 0);
  c.intermediate_size = get_int(o, "intermediateSize", p, 0);
  c.num_layers = get_int(o, "numLayers", p, 0);
  c.num_heads = get_int(o, "numHeads", p, 0);
  c.num_kv_heads = get_int(o, "numKvHeads", p, c.num_heads);
  c.head_dim = get_int(o, "headDim", p, c.num_heads > 0 ? c.hidden_size / c.num_heads : 0);
  c.max_positions = get_int(o, "maxPositions", p, 0);
  c.norm_eps = get_number(o, "normEps", p, 1e-5);
  c.rope_theta = get_number(o, "ropeTheta", p, 10000.0);
  c.attention_bias = get_bool(o, "attentionBias", p, false);
  c.tie_word_embeddings = get_bool(o, "tieWordEmbeddings", p, false);
  const auto act = get_string(o, "activation", p, "silu");
  c.activation = act == "gelu_new" ? model::Activation::kGeluTanh
               : act == "gelu"     ? model::Activation::kGelu
                                   : model::Activation::kSilu;
  auto rs = field(o, "ropeScaling");
  if (rs.IsObject()) {
    auto r = rs.As<Napi::Object>();
    const std::string rp = "config.ropeScaling";
    const auto type = get_string(r, "type", rp, "linear");
    if (type == "linear") c.rope_scaling.type = model::RopeScalingType::kLinear;
    else if (type == "dynamic") c.rope_scaling.type = model::RopeScalingType::kDynamic;
    else if (type == "llama3") c.rope_scaling.type = model::RopeScalingType::kLlama3;
    else bad(o.Env(), rp, "type", "'linear', 'dynamic' or 'llama3'");
    c.rope_scaling.factor = get_number(r, "factor", rp, 1.0);
    c.rope_scaling.low_freq_factor = get_number(r, "lowFreqFactor", rp, 1.0);
    c.rope_scaling.high_freq_factor = get_number(r, "highFreqFactor", rp, 4.0);
    c.rope_scaling.original_max_positions = get_int(r, "originalMaxPositions", rp, c.max_positions);
  }
  return c;
}

peft::LoraConfig parse_lora_config(Napi::Object o) {
  const std::string p = "lora";
  peft::LoraConfig c;
  c.r = get_int(o, "r", p, 8);
  c.alpha = get_number(o, "alpha", p, 2.0 * c.r);
  c.dropout = get_number(o, "dropout", p, 0.0);
  c.rslora = get_bool(o, "rslora", p, false);
  c.seed = static_cast<uint64_t>(get_int(o, "seed", p, 0));
  auto targets = field(o, "targets");
  if (!targets.IsArray()) bad(o.Env(), p, "targets", "an array of module names");
  auto arr = targets.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto v = arr.Get(i);
    if (!v.IsString()) bad(o.Env(), p, "targets", "an array of module names");
    c.targets.push_back(v.As<Napi::String>().Utf8Value());
  }
  auto layers = field(o, "layers");
  if (layers.IsArray()) {
    c.layers = int_array(o.Env(), layers.As<Napi::Array>(), p + ".layers");
  }
  if (c.r < 1) bad(o.Env(), p, "r", "a positive integer");
  if (c.dropout < 0.0 || c.dropout >= 1.0) bad(o.Env(), p, "dropout", "a number in [0, 1)");
  return c;
}

peft::PromptConfig parse_prompt_config(Napi::Object o) {
  const std::string p = "prompt";
  peft::PromptConfig c;
  const auto method = get_string(o, "method", p, "");
  if (method == "prompt") c.method = peft::PromptMethod::kPromptTuning;
  else if (method == "p-tuning") c.method = peft::PromptMethod::kPTuning;
  else if (method == "prefix") c.method = peft::PromptMethod::kPrefixTuning;
  else bad(o.Env(), p, "method", "'prompt', 'p-tuning' or 'prefix'");
  const auto encoder = get_string(o, "encoder", p, "none");
  if (encoder == "none") c.encoder = peft::PromptEncoderType::kNone;
  else if (encoder == "mlp") c.encoder = peft::PromptEncoderType::kMlp;
  else if (encoder == "lstm") c.encoder = peft::PromptEncoderType::kLstm;
  else if (encoder == "projection") c.encoder = peft::PromptEncoderType::kProjection;
  else bad(o.Env(), p, "encoder", "'none', 'mlp', 'lstm' or 'projection'");
  c.virtual_tokens = get_int(o, "virtualTokens", p, 20);
  c.encoder_hidden = get_int(o, "encoderHiddenSize", p, 0);
  c.encoder_layers = get_int(o, "encoderLayers", p, 2);
  c.encoder_dropout = get_number(o, "encoderDropout", p, 0.0);
  c.seed = static_cast<uint64_t>(get_int(o, "seed", p, 0));
  auto ids = field(o, "initIds");
  if (ids.IsArray()) c.init_ids = int_array(o.Env(), ids.As<Napi::Array>(), p + ".initIds");
  else if (!ids.IsUndefined()) bad(o.Env(), p, "initIds", "an array of token ids");
  return c;
}

optim::OptimizerConfig parse_optimizer_config(Napi::Object o) {
  const std::string p = "optimizer";
  optim::OptimizerConfig c;
  const auto type = get_string(o, "type", p, "adamw");
  if (type != "adamw" && type != "sgd") bad(o.Env(), p, "type", "'adamw' or 'sgd'");
  c.type = type == "sgd" ? optim::OptimizerType::kSgd : optim::OptimizerType::kAdamW;
  c.beta1 = get_number(o, "beta1", p, 0.9);
  c.beta2 = get_number(o, "beta2", p, 0.999);
  c.eps = get_number(o, "eps", p, 1e-8);
  c.weight_decay = get_number(o, "weightDecay", p, c.type == optim::OptimizerType::kAdamW ? 0.01 : 0.0);
  c.momentum = get_number(o, "momentum", p, 0.0);
  c.dampening = get_number(o, "dampening", p, 0.0);
  c.nesterov = get_bool(o, "nesterov", p, false);
  return c;
}

amp::GradScalerConfig parse_scaler_config(Napi::Object o) {
  const std::string p = "lossScale";
  amp::GradScalerConfig c;
  c.enabled = get_bool(o, "enabled", p, false);
  c.init_scale = get_number(o, "initScale", p, 65536.0);
  c.growth_factor = get_number(o, "growthFactor", p, 2.0);
  c.backoff_factor = get_number(o, "backoffFactor", p, 0.5);
  c.growth_interval = get_int(o, "growthInterval", p, 2000);
  return c;
}

amp::Precision parse_precision(Napi::Object o, const std::string& path) {
  const auto s = get_string(o, "precision", path, "fp32");
  if (s == "fp32") return amp::Precision::kFp32;
  if (s == "bf16") return amp::Precision::kBf16;
  if (s == "fp16") return amp::Precision::kFp16;
  bad(o.Env(), path, "precision", "'fp32', 'bf16' or 'fp16'");
}

train::StepOptions parse_step_options(Napi::Object o) {
  const std::string p = "step";
  train::StepOptions s;
  s.lr = get_number(o, "lr", p, 1e-3);
  s.max_grad_norm = get_number(o, "maxGradNorm", p, 0.0);
  s.precision = parse_precision(o, p);
  s.proximal_mu = get_number(o, "proximalMu", p, 0.0);
  if (!(s.proximal_mu >= 0.0) || !std::isfinite(s.proximal_mu)) bad(o.Env(), p, "proximalMu", "a finite number >= 0");
  const auto mode = get_string(o, "proximalMode", p, "params");
  if (mode != "params" && mode != "merged") bad(o.Env(), p, "proximalMode", "'params' or 'merged'");
  s.proximal_mode = mode == "merged" ? train::ProximalMode::kMerged : train::ProximalMode::kParams;
  s.checkpoint_activations = get_bool(o, "checkpointActivations", p, false);
  return s;
}

train::AlignOptions parse_align_options(Napi::Object o) {
  const std::string p = "align";
  train::AlignOptions a;
  a.lr = get_number(o, "lr", p, 1e-3);
  a.max_grad_norm = get_number(o, "maxGradNorm", p, 0.0);
  a.precision = parse_precision(o, p);
  a.student_tap = get_int(o, "studentTap", p, -1);
  a.teacher_tap = get_int(o, "teacherTap", p, -1);
  a.repr_weight = get_number(o, "reprWeight", p, 1.0);
  a.kl_weight = get_number(o, "klWeight", p, 0.0);
  a.lm_weight = get_number(o, "lmWeight", p, 0.0);
  if (!(a.lr >= 0.0) || !std::isfinite(a.lr)) bad(o.Env(), p, "lr", "a finite number >= 0");
  for (auto [key, value] : {std::pair{"reprWeight", a.repr_weight}, std::pair{"klWeight", a.kl_weight},
                             std::pair{"lmWeight", a.lm_weight}}) {
    if (!(value >= 0.0) || !std::isfinite(value)) bad(o.Env(), p, key, "a finite number >= 0");
  }
  if (!(a.repr_weight + a.kl_weight + a.lm_weight > 0.0)) bad(o.Env(), p, "reprWeight", "a positive weight (reprWeight, klWeight or lmWeight)");
  return a;
}

std::vector<int64_t> parse_session_layers(Napi::Object o) {
  std::vector<int64_t> layers;
  auto v = field(o, "layers");
  if (v.IsUndefined() || v.IsNull()) return layers;
  if (!v.IsArray() || v.As<Napi::Array>().Length() == 0) bad(o.Env(), "options", "layers", "a non-empty array of layer indices");
  auto arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto item = arr.Get(i);
    const double d = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(d >= 0.0) || d != std::floor(d)) bad(o.Env(), "options", "layers", "a non-empty array of layer indices");
    layers.push_back(static_cast<int64_t>(d));
  }
  return layers;
}

train::GenerateOptions parse_generate_options(Napi::Object o) {
  const std::string p = "generate";
  train::GenerateOptions g;
  g.max_new_tokens = get_int(o, "maxNewTokens", p, 64);
  g.sampling.temperature = get_number(o, "temperature", p, 0.0);
  g.sampling.top_k = get_int(o, "topK", p, 0);
  g.sampling.top_p = get_number(o, "topP", p, 1.0);
  g.seed = static_cast<uint64_t>(get_int(o, "seed", p, 0));
  g.num_return_sequences = get_int(o, "numReturnSequences", p, 1);
  g.precision = parse_precision(o, p);
  auto eos = field(o, "eosIds");
  if (eos.IsArray()) {
    g.eos_ids = int_array(o.Env(), eos.As<Napi::Array>(), p + ".eosIds");
  }
  auto keys = field(o, "seedKeys");
  if (keys.IsArray()) {
    g.seed_keys = int_array(o.Env(), keys.As<Napi::Array>(), p + ".seedKeys");
  }
  if (g.max_new_tokens < 0) bad(o.Env(), p, "maxNewTokens", "a non-negative integer");
  if (g.sampling.top_p <= 0.0 || g.sampling.top_p > 1.0) bad(o.Env(), p, "topP", "a number in (0, 1]");
  if (g.num_return_sequences < 1) bad(o.Env(), p, "numReturnSequences", "an integer >= 1");
  return g;
}

std::vector<io::TensorSourceSpec> parse_tensor_sources(Napi::Env env, Napi::Value value) {
  if (!value.IsArray()) throw_invalid_arg(env, "Expected an array of tensor sources");
  auto arr = value.As<Napi::Array>();
  std::vector<io::TensorSourceSpec> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const std::string p = "tensors[" + std::to_string(i) + "]";
    auto o = expect_object(env, arr.Get(i), p);
    io::TensorSourceSpec s;
    s.name = get_string(o, "name", p, "");
    s.file = get_string(o, "file", p, "");
    s.offset = get_int(o, "offset", p, 0);
    s.byte_length = get_int(o, "byteLength", p, 0);
    s.dtype = io::parse_stored_dtype(get_string(o, "dtype", p, "f32"));
    auto shape = o.Get("shape");
    if (!shape.IsArray()) throw_invalid_arg(env, "Expected an array of integers for " + p + ".shape");
    s.shape = int_array(env, shape.As<Napi::Array>(), p + ".shape");
    auto transform = o.Get("transform");
    if (transform.IsObject()) {
      auto t = transform.As<Napi::Object>();
      const auto kind = get_string(t, "kind", p + ".transform", "");
      if (kind == "transpose") s.transform = io::Transform::kTranspose;
      else if (kind == "unpermuteRope") {
        s.transform = io::Transform::kUnpermuteRope;
        s.heads = get_int(t, "heads", p + ".transform", 0);
      } else throw_invalid_arg(env, "Expected 'transpose' or 'unpermuteRope' for " + p + ".transform.kind");
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace fsllm::bindings
