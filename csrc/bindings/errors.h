// SPDX-License-Identifier: Apache-2.0
// The one place where C++ exceptions become JS errors: a fixed catch order maps each exception to an
// ERR_FSLLM_* code; JS error objects are made with the FsllmError class registered at initialize().
#pragma once

#include <napi.h>

#include <exception>
#include <string>

namespace fsllm::bindings {

struct JobError {
  std::string code;     // e.g. "ERR_FSLLM_CHECKPOINT"
  std::string message;
  std::string detail;   // libtorch backtrace, only when FSLLM_DEBUG is set
  bool set = false;
};

// Catch order: fsllm::Error, c10::OutOfMemoryError, c10::Error, std::bad_alloc, std::exception, anything.
JobError capture(std::exception_ptr error, const char* operation);

// A JS error object (FsllmError when registered, else Error) carrying `code`.
Napi::Value make_error(Napi::Env env, const JobError& error);

// Throws a JS error with `code` (e.g. "ERR_FSLLM_BUSY"), as a C++ Napi::Error, from a JS-thread entry point.
[[noreturn]] void throw_coded(Napi::Env env, const char* code, const std::string& message);

// throw_coded with ERR_FSLLM_INVALID_ARG.
[[noreturn]] void throw_invalid_arg(Napi::Env env, const std::string& message);

// Runs `body` on the JS thread, turning any C++ exception into a thrown JS error with a code.
template <typename F>
auto guard_sync(Napi::Env env, const char* operation, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    auto err = capture(std::current_exception(), operation);
    throw Napi::Error(env, make_error(env, err));
  }
}

}  // namespace fsllm::bindings
