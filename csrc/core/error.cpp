// SPDX-License-Identifier: Apache-2.0
// Names of error codes as JS sees them (without the ERR_FSLLM_ prefix), and message helpers.
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
    case ErrorCode::kDistributed: return "DISTRIBUTED";
    case ErrorCode::kNative: return "NATIVE";
  }
  return "NATIVE";
}

std::string list_text(const std::vector<int64_t>& values) {
  std::string out;
  for (auto v : values) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return "[" + out + "]";
}

}  // namespace fsllm
