// SPDX-License-Identifier: Apache-2.0
// Exception capture and JS error construction; see errors.h.
#include "bindings/errors.h"

#include <cstdlib>
#include <new>

#include "bindings/addon_data.h"
#include "core/error.h"

namespace fsllm::bindings {

JobError capture(std::exception_ptr error, const char* operation) {
  JobError out;
  out.set = true;
  try {
    std::rethrow_exception(error);
  } catch (const fsllm::Error& e) {
    out.code = std::string("ERR_FSLLM_") + error_code_name(e.code());
    out.message = e.what();
  } catch (const c10::OutOfMemoryError& e) {
    out.code = "ERR_FSLLM_DEVICE_OOM";
    out.message = std::string(operation) + ": device out of memory: " + e.what_without_backtrace();
  } catch (const c10::Error& e) {
    out.code = "ERR_FSLLM_TORCH";
    out.message = std::string(operation) + ": " + e.what_without_backtrace();
    if (std::getenv("FSLLM_DEBUG") != nullptr) out.detail = e.what();
  } catch (const std::bad_alloc&) {
    out.code = "ERR_FSLLM_HOST_OOM";
    out.message = std::string(operation) + ": out of host memory";
  } catch (const std::exception& e) {
    out.code = "ERR_FSLLM_NATIVE";
    out.message = std::string(operation) + ": " + e.what();
  } catch (...) {
    out.code = "ERR_FSLLM_NATIVE";
    out.message = std::string("unknown error in ") + operation;
  }
  return out;
}

Napi::Value make_error(Napi::Env env, const JobError& error) {
  auto* data = env.GetInstanceData<AddonData>();
  Napi::Object obj;
  if (data != nullptr && !data->error_class.IsEmpty()) {
    auto props = Napi::Object::New(env);
    props.Set("message", error.message);
    props.Set("code", error.code);
    obj = data->error_class.New({props});
  } else {
    obj = Napi::Error::New(env, error.message).Value();
  }
  obj.Set("code", error.code);
  if (!error.detail.empty()) obj.Set("detail", error.detail);
  return obj;
}

void throw_coded(Napi::Env env, const char* code, const std::string& message) {
  throw Napi::Error(env, make_error(env, JobError{code, message, "", true}));
}

void throw_invalid_arg(Napi::Env env, const std::string& message) { throw_coded(env, "ERR_FSLLM_INVALID_ARG", message); }

}  // namespace fsllm::bindings
