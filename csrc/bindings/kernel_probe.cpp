// SPDX-License-Identifier: Apache-2.0
// See kernel_probe.h. Inputs are cloned on the executor thread, so the kernel sees owned, contiguous tensors
// and JS may reuse its arrays once the promise settles.
#include "bindings/kernel_probe.h"

#include <cmath>
#include <memory>
#include <string>

#include "bindings/errors.h"
#include "bindings/jobs/function_job.h"
#include "bindings/options.h"
#include "kernels/small_head_attention.h"

namespace fsllm::bindings {

namespace {

// softmax(q k^T * scale + bias) v as libtorch ops under autograd, with k and v repeated for grouped heads:
// the formula small_head_attention replaces, independent of csrc/model's attention paths.
// q (B, H, T, Hd), k and v (B, Hkv, T, Hd), bias (B, 1, T, T) -> (B, T, H * Hd).
torch::Tensor reference_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& bias, double scale) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), Hd = q.size(3), G = H / k.size(1);
  auto keys = k.repeat_interleave(G, /*dim=*/1), values = v.repeat_interleave(G, /*dim=*/1);  // (B, H, T, Hd)
  auto probs = torch::softmax(torch::matmul(q, keys.transpose(-1, -2)) * scale + bias, /*dim=*/-1);
  return torch::matmul(probs, values).transpose(1, 2).reshape({B, T, H * Hd});  // (B, H, T, Hd) -> (B, T, H*Hd)
}

struct AttentionResult {
  torch::Tensor out, dq, dk, dv;
};

// attentionProbe({ path: 'kernel' | 'reference', batch, heads, kvHeads, seq, headDim, q, k, v, bias, grad? })
//   -> Promise<{ out, dq?, dk?, dv? }>. Layouts: q (B, H, T, Hd), k and v (B, Hkv, T, Hd), bias (B, 1, T, T)
// and causal, grad and out (B, T, H * Hd). Without grad only the forward pass runs, outside autograd.
Napi::Value AttentionProbe(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = expect_object(env, info[0], "attentionProbe options");
  const std::string path = get_string(o, "path", "attentionProbe", "");
  if (path != "kernel" && path != "reference") {
    throw_invalid_arg(env, "Expected 'kernel' or 'reference' for attentionProbe.path");
  }
  const int64_t B = get_int(o, "batch", "attentionProbe", 0), H = get_int(o, "heads", "attentionProbe", 0),
                Hkv = get_int(o, "kvHeads", "attentionProbe", 0), T = get_int(o, "seq", "attentionProbe", 0),
                Hd = get_int(o, "headDim", "attentionProbe", 0);
  if (B < 1 || H < 1 || Hkv < 1 || H % Hkv != 0 || T < 1 || Hd < 1) {
    throw_invalid_arg(env, "Expected positive batch, heads, kvHeads, seq and headDim with heads a multiple of kvHeads");
  }
  auto job = std::make_unique<FunctionJob>(env, "attentionProbe");
  auto array = [&](const char* key, int64_t length) {
    const std::string field = std::string("attentionProbe.") + key;
    return job->pin(expect_typed_array(env, o.Get(key), napi_float32_array, "a Float32Array", field, length));
  };
  const auto q = array("q", B * H * T * Hd), k = array("k", B * Hkv * T * Hd), v = array("v", B * Hkv * T * Hd);
  const auto bias = array("bias", B * T * T);
  const bool backward = !o.Get("grad").IsUndefined();
  const ArrayView grad = backward ? array("grad", B * T * H * Hd) : ArrayView{};
  auto result = std::make_shared<AttentionResult>();
  job->work = [=] {
    torch::AutoGradMode grad_mode(backward);
    auto qt = q.view(torch::kFloat32, {B, H, T, Hd}).clone().requires_grad_(backward);
    auto kt = k.view(torch::kFloat32, {B, Hkv, T, Hd}).clone().requires_grad_(backward);
    auto vt = v.view(torch::kFloat32, {B, Hkv, T, Hd}).clone().requires_grad_(backward);
    auto bt = bias.view(torch::kFloat32, {B, 1, T, T}).clone();
    const double scale = 1.0 / std::sqrt(static_cast<double>(Hd));
    auto out = path == "kernel" ? kernels::small_head_attention(qt, kt, vt, bt, scale)
                                : reference_attention(qt, kt, vt, bt, scale);
    if (backward) {
      out.backward(grad.view(torch::kFloat32, {B, T, H * Hd}));
      *result = {out.detach(), qt.grad(), kt.grad(), vt.grad()};
    } else {
      result->out = out;
    }
  };
  job->resolve = [result](Napi::Env env) -> Napi::Value {
    auto r = Napi::Object::New(env);
    r.Set("out", to_float32_array(env, result->out));
    if (result->dq.defined()) {
      r.Set("dq", to_float32_array(env, result->dq));
      r.Set("dk", to_float32_array(env, result->dk));
      r.Set("dv", to_float32_array(env, result->dv));
    }
    return r;
  };
  return Executor::Submit(env, std::move(job));
}

}  // namespace

void register_kernel_probes(Napi::Env env, Napi::Object exports) {
  exports.Set("attentionProbe", Napi::Function::New<AttentionProbe>(env, "attentionProbe"));
}

}  // namespace fsllm::bindings
