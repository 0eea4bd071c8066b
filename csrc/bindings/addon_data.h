// SPDX-License-Identifier: Apache-2.0
// Per-environment addon state (env.SetInstanceData): no mutable globals, so worker_threads can each
// load the addon. The executor thread is shared per environment and joined at env cleanup.
#pragma once

#include <napi.h>

#include <memory>

#include "bindings/executor.h"

namespace fsllm::bindings {

struct AddonData {
  Napi::FunctionReference error_class;  // FsllmError, from initialize(); may be empty
  Napi::FunctionReference model_class;
  Napi::FunctionReference session_class;
  Napi::FunctionReference replica_group_class;
  bool external_buffers_ok = true;      // false where V8 forbids external memory (Electron's sandbox)
  std::unique_ptr<Executor> executor;
};

}  // namespace fsllm::bindings
