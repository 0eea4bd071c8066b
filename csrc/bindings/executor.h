// SPDX-License-Identifier: Apache-2.0
// One worker thread with a FIFO queue for model work (not the libuv pool: it is shared with fs, dns and
// zlib, and libtorch's grad/autocast modes are thread-local). Jobs settle their promise on the JS thread.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "bindings/errors.h"

namespace fsllm::bindings {

// An async operation: constructed on the JS thread (copying every input out of V8), Execute()d on the
// executor thread, then Resolve()d or rejected and Cleanup()ed on the JS thread.
class Job {
 public:
  Job(Napi::Env env, const char* name);
  virtual ~Job() = default;

  virtual void Execute() = 0;                          // executor thread; may throw
  virtual Napi::Value Resolve(Napi::Env env) = 0;      // JS thread, on success
  virtual void Cleanup(Napi::Env env) {}               // JS thread, always (Unref, release pins)

  Napi::Promise promise() const { return deferred_.Promise(); }
  const char* name() const { return name_; }

 private:
  friend class Executor;
  void Run();                        // executor thread
  void Complete(Napi::Env env);      // JS thread
  Napi::Promise::Deferred deferred_;
  Napi::ThreadSafeFunction done_;    // keeps the event loop alive while the job is in flight
  JobError error_;
  const char* name_;
};

class Executor {
 public:
  Executor();
  ~Executor();  // drains nothing: pending jobs are dropped, the running one finishes

  // Queues the job and returns its promise. Takes ownership.
  static Napi::Promise Submit(Napi::Env env, std::unique_ptr<Job> job);

 private:
  void Loop();
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace fsllm::bindings
