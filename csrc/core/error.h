// SPDX-License-Identifier: Apache-2.0
// fsllm::Error: the one exception type our own code throws for domain failures (bad file, bad option,
// wrong state). Tensor invariants use TORCH_CHECK; bindings/errors.cpp maps both to JS error codes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fsllm {

// Each value has a JS twin `ERR_FSLLM_<NAME>` in the FsllmErrorCode union of lib/errors/FsllmError.ts; keep
// the two lists in step. The TS list is longer: it also holds the codes bindings/errors.cpp gives libtorch
// failures (DEVICE_OOM, HOST_OOM, TORCH) and those only TS raises.
enum class ErrorCode {
  kInvalidArg,   // ERR_FSLLM_INVALID_ARG
  kCheckpoint,   // ERR_FSLLM_CHECKPOINT: unreadable, truncated or inconsistent weights/adapter file
  kBusy,         // ERR_FSLLM_BUSY
  kDisposed,     // ERR_FSLLM_DISPOSED
  kAborted,      // ERR_FSLLM_ABORTED
  kUnsupported,  // ERR_FSLLM_UNSUPPORTED: a valid request this build cannot serve (e.g. CUDA absent)
  kDistributed,  // ERR_FSLLM_DISTRIBUTED: a data-parallel rank failed, left or timed out; the group is unusable
  kNative,       // ERR_FSLLM_NATIVE
};

const char* error_code_name(ErrorCode code);

// How messages show a list of integers (e.g. layer indices): "[0, 2, 5]".
std::string list_text(const std::vector<int64_t>& values);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// Throws fsllm::Error(code, message) when `cond` is false; message is built only on failure.
#define FSLLM_CHECK(cond, code, message)                      \
  do {                                                        \
    if (!(cond)) throw ::fsllm::Error((code), (message));     \
  } while (0)

}  // namespace fsllm
