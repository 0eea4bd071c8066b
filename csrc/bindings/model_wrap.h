// SPDX-License-Identifier: Apache-2.0
// JS class `Model`: a loaded causal LM (frozen base plus attached LoRA) behind a handle. Every method that
// touches tensors queues a job on the executor and returns a Promise; one call in flight at a time.
#pragma once

#include <napi.h>

#include <memory>

#include "model/transformer.h"
#include "train/generate.h"

namespace fsllm::bindings {

class FunctionJob;

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // binding.loadModel(config, tensorSources, {dtype}) -> Promise<Model>
  static Napi::Value Load(const Napi::CallbackInfo& info);
  explicit ModelWrap(const Napi::CallbackInfo& info);

  // For SessionWrap: the model, throwing ERR_FSLLM_DISPOSED / ERR_FSLLM_BUSY as JS errors when unusable.
  std::shared_ptr<model::CausalLmImpl> acquire(Napi::Env env, const char* operation);
  void release() { busy_ = false; }
  // Ref()s this wrap for the job's lifetime, releases the busy flag when it settles, and queues it.
  Napi::Value submit(Napi::Env env, std::unique_ptr<FunctionJob> job);

 private:
  Napi::Value AttachLora(const Napi::CallbackInfo& info);
  Napi::Value DetachLora(const Napi::CallbackInfo& info);
  // attachPrompt(options) -> Promise<{manifest}>; detachPrompt() -> Promise<void>
  Napi::Value AttachPrompt(const Napi::CallbackInfo& info);
  Napi::Value DetachPrompt(const Napi::CallbackInfo& info);
  // promptEmbeddings() -> Promise<{data: Float32Array, shape: [V, width]}>: the encoder's output in eval mode,
  // what PEFT saves as `prompt_embeddings`
  Napi::Value PromptEmbeddings(const Napi::CallbackInfo& info);
  Napi::Value MergeLora(const Napi::CallbackInfo& info);
  // setLayersTrainable(layers: number[], trainable: boolean) -> Promise<{parameters}>
  Napi::Value SetLayersTrainable(const Napi::CallbackInfo& info);
  Napi::Value ExportAdapter(const Napi::CallbackInfo& info);
  Napi::Value ImportAdapter(const Napi::CallbackInfo& info);
  Napi::Value ImportAdapterTensors(const Napi::CallbackInfo& info);
  Napi::Value Logits(const Napi::CallbackInfo& info);
  Napi::Value HiddenAt(const Napi::CallbackInfo& info);
  // nextTokenLogits(batch, candidates: Int32Array, {precision}) -> Promise<Float32Array> (B, C)
  Napi::Value NextTokenLogits(const Napi::CallbackInfo& info);
  Napi::Value EvalLoss(const Napi::CallbackInfo& info);
  // generate(prompts: Int32Array[], options, onStep?) -> Promise<rows>; see model_wrap_generate.cpp
  Napi::Value Generate(const Napi::CallbackInfo& info);
  // stopGeneration(row?): ends that row of the running generate(), or every row when no row is given.
  Napi::Value StopGeneration(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<model::CausalLmImpl> model_;
  // The running (or last) generate()'s flags; replaced by each generate() call, read by stopGeneration().
  std::shared_ptr<train::GenerateControl> generation_;
  int64_t num_parameters_ = 0;
  int64_t base_bytes_ = 0;  // bytes of the base weights as stored (fp32, bf16 or blocks)
  bool busy_ = false;
};

// Manifest entries as JS objects [{name, shape, offset}].
Napi::Value manifest_to_js(Napi::Env env, model::CausalLmImpl& model);

// A JS array of strings.
Napi::Value strings_to_js(Napi::Env env, const std::vector<std::string>& items);

}  // namespace fsllm::bindings
