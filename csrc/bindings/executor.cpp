// SPDX-License-Identifier: Apache-2.0
// Executor thread and job completion; see executor.h.
#include "bindings/executor.h"

#include "bindings/addon_data.h"
#include "core/fork_gate.h"

namespace fsllm::bindings {

Job::Job(Napi::Env env, const char* name) : deferred_(Napi::Promise::Deferred::New(env)), name_(name) {}

void Job::Run() {
  try {
    ComputeScope computing;
    Execute();
  } catch (...) {
    error_ = capture(std::current_exception(), name_);
  }
  // Complete() deletes the job on the JS thread, possibly before BlockingCall returns here: keep the
  // handle in a local and touch no member after the call.
  Napi::ThreadSafeFunction done = done_;
  done.BlockingCall(this, [](Napi::Env env, Napi::Function, Job* job) { job->Complete(env); });
  done.Release();
}

void Job::Complete(Napi::Env env) {
  Napi::HandleScope scope(env);
  if (error_.set) {
    deferred_.Reject(make_error(env, error_));
  } else {
    try {
      deferred_.Resolve(Resolve(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(make_error(env, capture(std::current_exception(), name_)));
    }
  }
  try {
    Cleanup(env);
  } catch (...) {
    // Cleanup only releases references; nothing useful to report to a settled promise.
  }
  delete this;
}

Executor::Executor() : thread_([this] { Loop(); }) {}

Executor::~Executor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto* job : queue_) delete job;  // never started: their TSFNs die with the env
}

Napi::Promise Executor::Submit(Napi::Env env, std::unique_ptr<Job> job) {
  auto* data = env.GetInstanceData<AddonData>();
  auto promise = job->promise();
  job->done_ = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                             job->name(), /*maxQueueSize=*/0, /*initialThreadCount=*/1);
  {
    std::lock_guard<std::mutex> lock(data->executor->mutex_);
    data->executor->queue_.push_back(job.release());
  }
  data->executor->ready_.notify_one();
  return promise;
}

void Executor::Loop() {
  for (;;) {
    Job* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
    }
    job->Run();
  }
}

}  // namespace fsllm::bindings
