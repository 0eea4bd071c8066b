// SPDX-License-Identifier: Apache-2.0
// A job made of two callables: `work` on the executor thread and `resolve` on the JS thread. Inputs are
// captured by value as PODs, tensors or ArrayViews of arrays this job pins; the wraps it uses are released
// by `on_cleanup` callbacks on the JS thread.
#pragma once

#include <napi.h>

#include <functional>
#include <vector>

#include "bindings/executor.h"
#include "bindings/tensor_io.h"

namespace fsllm::bindings {

class FunctionJob : public Job {
 public:
  using Work = std::function<void()>;
  using Resolver = std::function<Napi::Value(Napi::Env)>;

  FunctionJob(Napi::Env env, const char* name) : Job(env, name) {}

  Work work;
  Resolver resolve;

  // Keeps `array` alive (and, by contract, unmodified) until the job settles; returns its view.
  ArrayView pin(Napi::TypedArray array) {
    pins_.push_back(Napi::Persistent(array));
    return view_of(array);
  }
  // Runs `release` on the JS thread when the job settles (e.g. a wrap's busy flag and Unref).
  void on_cleanup(std::function<void()> release) { releases_.push_back(std::move(release)); }

  void Execute() override {
    if (work) work();
  }
  Napi::Value Resolve(Napi::Env env) override { return resolve ? resolve(env) : env.Undefined(); }
  void Cleanup(Napi::Env) override {
    for (auto& p : pins_) p.Reset();
    for (auto& r : releases_) r();
  }

 private:
  std::vector<Napi::Reference<Napi::TypedArray>> pins_;
  std::vector<std::function<void()>> releases_;
};

}  // namespace fsllm::bindings
