// SPDX-License-Identifier: Apache-2.0
// Names of error codes as JS sees them (without the ERR_FSLLM_ prefix).
#include "core/error.h"

namespace fsllm {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArg: return "INVALID_ARG";
    case ErrorCode::kCheckpoint: return "CHECKPOINT";
    case ErrorCode::kBusy: return "BUSY";
    case ErrorCode::kDisposed: return "DISPOSED";
    case ErrorCode::kAborted: return "ABORTED";
    case ErrorCode::kUnsupported: return "UNSUPPORTED";
    case ErrorCode::kNative: return "NATIVE";
  }
  return "NATIVE";
}

}  // namespace fsllm
