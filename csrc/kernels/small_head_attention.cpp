// SPDX-License-Identifier: Apache-2.0
// See small_head_attention.h. Forward runs one task per (sequence, query head) and backward one per
// (sequence, KV head), so that a backward task owns the key and value gradients it accumulates over its
// grouped query heads. Each task copies its KV head into the transposed, zero-padded layout of
// small_head_attention_rows.h; the copies are (Hd, T) per head, small next to the (T, T) work.
#include "kernels/small_head_attention.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.h"
#include "kernels/small_head_attention_rows.h"

namespace fsllm::kernels {

namespace {

using small_head::kLanes;

int64_t padded(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

struct Dims {
  int64_t B, H, Hkv, G, T, Hd, Hdp, Tp;
  Dims(const torch::Tensor& q, const torch::Tensor& k)
      : B(q.size(0)), H(q.size(1)), Hkv(k.size(1)), G(q.size(1) / k.size(1)), T(q.size(2)), Hd(q.size(3)),
        Hdp(padded(q.size(3))), Tp(padded(q.size(2))) {}
};

// Rows of a (B, heads, T, Hd) tensor with unit stride on Hd.
template <typename Float>
struct Heads {
  Float* data;
  int64_t sb, sh, st;
  explicit Heads(const torch::Tensor& x) : data(x.data_ptr<float>()), sb(x.stride(0)), sh(x.stride(1)), st(x.stride(2)) {}
  Float* row(int64_t b, int64_t h, int64_t t) const { return data + b * sb + h * sh + t * st; }
};

// A task's buffers: its KV head transposed (and, backward, the head's gradients), and scratch for the rows in
// flight (one forward, a block backward). Only [0, Hd) x [0, T) of the transposed buffers is ever written,
// so their padding stays zero.
struct Workspace {
  std::vector<float> k, v, dk, dv, p, ds, q;
  Workspace(const Dims& d, bool backward)
      : k(d.Hdp * d.Tp), v(d.Hdp * d.Tp), dk(backward ? d.Hdp * d.Tp : 0), dv(backward ? d.Hdp * d.Tp : 0),
        p(rows(backward) * d.Tp), ds(backward ? rows(backward) * d.Tp : 0), q(rows(backward) * d.Hd) {}
  static int64_t rows(bool backward) { return backward ? small_head::kRowBlock : 1; }
};

// Head (b, h) of x into dst as (Hd, Tp), transposed.
void load_transposed(const Heads<const float>& x, int64_t b, int64_t h, const Dims& d, float* dst) {
  for (int64_t t = 0; t < d.T; ++t) {
    const float* src = x.row(b, h, t);
    for (int64_t j = 0; j < d.Hd; ++j) dst[j * d.Tp + t] = src[j];
  }
}

void store_transposed(const float* src, const Dims& d, const Heads<float>& x, int64_t b, int64_t h) {
  for (int64_t t = 0; t < d.T; ++t) {
    float* dst = x.row(b, h, t);
    for (int64_t j = 0; j < d.Hd; ++j) dst[j] = src[j * d.Tp + t];
  }
}

// The inputs as the row kernels read them.
struct Inputs {
  Dims d;
  Heads<const float> q, k, v;
  const float* bias;
  int64_t bias_b, bias_t;
  float scale;
  const int64_t* starts = nullptr;  // (B, T): each row's first chunk with a visible key, from find_starts
  Inputs(const torch::Tensor& q_, const torch::Tensor& k_, const torch::Tensor& v_, const torch::Tensor& bias_, double s)
      : d(q_, k_), q(q_), k(k_), v(v_), bias(bias_.data_ptr<float>()), bias_b(bias_.stride(0)), bias_t(bias_.stride(2)),
        scale(static_cast<float>(s)) {}

  // Query row (b, h, t), its q scaled into `scaled` (Hd floats).
  small_head::Row row(int64_t b, int64_t h, int64_t t, float* scaled) const {
    const float* src = q.row(b, h, t);
    for (int64_t j = 0; j < d.Hd; ++j) scaled[j] = src[j] * scale;
    small_head::Row r{scaled, bias + b * bias_b + t * bias_t, t, d.Hd};
    r.first = starts[b * d.T + t];
    return r;
  }
};

// Each row's first chunk of keys with a visible one, (B, T) int64: the bias is shared by every head, so this
// is found once, and kept for backward.
torch::Tensor find_starts(const Inputs& in) {
  const Dims& d = in.d;
  auto starts = torch::zeros({d.B, d.T}, torch::kInt64);
#ifdef FSLLM_AVX2_KERNELS
  int64_t* sp = starts.data_ptr<int64_t>();
  at::parallel_for(0, d.B * d.T, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t b = i / d.T, t = i % d.T;
      sp[i] = small_head::first_visible_chunk({nullptr, in.bias + b * in.bias_b + t * in.bias_t, t, d.Hd});
    }
  });
#endif
  return starts;
}

// (sequence, head) of a task. Tasks run head-major because at::parallel_for hands each thread one contiguous
// range: the sequences of a packed batch cost very differently (the first holds the longest example), but each
// thread then gets every sequence of some heads, and the heads of a sequence cost the same.
std::pair<int64_t, int64_t> task_of(int64_t task, int64_t B) { return {task % B, task / B}; }

struct Forward {
  torch::Tensor out;     // (B, T, H * Hd)
  torch::Tensor lse;     // (B, H, T): each row's log-sum-exp
  torch::Tensor starts;  // find_starts
};

Forward attention_forward(Inputs in, const torch::TensorOptions& options) {
  const Dims& d = in.d;
  auto out = torch::empty({d.B, d.T, d.H * d.Hd}, options);
  auto lse = torch::empty({d.B, d.H, d.T}, options);
  auto starts = find_starts(in);
  in.starts = starts.data_ptr<int64_t>();
#ifdef FSLLM_AVX2_KERNELS
  float* op = out.data_ptr<float>();
  float* lp = lse.data_ptr<float>();
  at::parallel_for(0, d.B * d.H, 1, [&](int64_t begin, int64_t end) {
    Workspace w(d, /*backward=*/false);
    for (int64_t task = begin; task < end; ++task) {
      const auto [b, h] = task_of(task, d.B);
      load_transposed(in.k, b, h / d.G, d, w.k.data());
      load_transposed(in.v, b, h / d.G, d, w.v.data());
      const small_head::HeadT head{w.k.data(), w.v.data(), d.Tp};
      for (int64_t t = 0; t < d.T; ++t) {
        float* out_row = op + ((b * d.T + t) * d.H + h) * d.Hd;  // row t, head h of (B, T, H * Hd)
        lp[(b * d.H + h) * d.T + t] = small_head::forward_row(in.row(b, h, t, w.q.data()), head, w.p.data(), out_row);
      }
    }
  });
#endif
  return {out, lse, starts};
}

// Gradients of q (B, H, T, Hd), k and v (B, Hkv, T, Hd) from grad (B, T, H * Hd), given forward's out and lse.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> attention_backward(const Inputs& in, const torch::Tensor& grad,
                                                                           const torch::Tensor& out, const torch::Tensor& lse) {
  const Dims& d = in.d;
  auto dq = torch::empty({d.B, d.H, d.T, d.Hd}, grad.options());
  auto dk = torch::empty({d.B, d.Hkv, d.T, d.Hd}, grad.options());
  auto dv = torch::empty_like(dk);
#ifdef FSLLM_AVX2_KERNELS
  const float* gp = grad.data_ptr<float>();
  const float* op = out.data_ptr<float>();
  const float* lp = lse.data_ptr<float>();
  const Heads<float> dqs(dq), dks(dk), dvs(dv);
  at::parallel_for(0, d.B * d.Hkv, 1, [&](int64_t begin, int64_t end) {
    Workspace w(d, /*backward=*/true);
    for (int64_t task = begin; task < end; ++task) {
      const auto [b, kv] = task_of(task, d.B);
      load_transposed(in.k, b, kv, d, w.k.data());
      load_transposed(in.v, b, kv, d, w.v.data());
      std::fill(w.dk.begin(), w.dk.end(), 0.0f);
      std::fill(w.dv.begin(), w.dv.end(), 0.0f);
      const small_head::HeadT head{w.k.data(), w.v.data(), d.Tp};
      const small_head::HeadGradT grads{w.dk.data(), w.dv.data()};
      for (int64_t h = kv * d.G; h < (kv + 1) * d.G; ++h) {
        for (int64_t t0 = 0; t0 < d.T; t0 += small_head::kRowBlock) {
          const int count = static_cast<int>(std::min<int64_t>(small_head::kRowBlock, d.T - t0));
          small_head::Row rows[small_head::kRowBlock];
          small_head::RowGrad row_grads[small_head::kRowBlock];
          for (int r = 0; r < count; ++r) {
            const int64_t t = t0 + r;
            const int64_t at = (b * d.T + t) * d.H * d.Hd + h * d.Hd;  // row t, head h of (B, T, H * Hd)
            float go_dot_out = 0.0f;
            for (int64_t j = 0; j < d.Hd; ++j) go_dot_out += gp[at + j] * op[at + j];
            rows[r] = in.row(b, h, t, w.q.data() + r * d.Hd);
            row_grads[r] = {gp + at, go_dot_out, lp[(b * d.H + h) * d.T + t], dqs.row(b, h, t)};
          }
          small_head::backward_rows(rows, row_grads, count, in.scale, head, grads, w.p.data(), w.ds.data());
        }
      }
      store_transposed(w.dk.data(), d, dks, b, kv);
      store_transposed(w.dv.data(), d, dvs, b, kv);
    }
  });
#endif
  return {dq, dk, dv};
}

class SmallHeadAttention : public torch::autograd::Function<SmallHeadAttention> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& bias, double scale) {
    auto f = attention_forward(Inputs(q, k, v, bias, scale), q.options());
    ctx->save_for_backward({q, k, v, bias, f.out, f.lse, f.starts});
    ctx->saved_data["scale"] = scale;
    return f.out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    Inputs in(saved[0], saved[1], saved[2], saved[3], ctx->saved_data["scale"].toDouble());
    in.starts = saved[6].data_ptr<int64_t>();
    auto [dq, dk, dv] = attention_backward(in, grad_outputs[0].contiguous(), saved[4], saved[5]);
    return {dq, dk, dv, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool small_head_attention_applies(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& bias) {
  if (!cpu_has_avx2_fma() || q.dim() != 4 || k.dim() != 4 || v.dim() != 4 || bias.dim() != 4) return false;
  for (const auto* t : {&q, &k, &v, &bias})
    if (t->scalar_type() != torch::kFloat32 || !t->device().is_cpu()) return false;
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), Hd = q.size(3), Hkv = k.size(1);
  return Hd >= 1 && Hd <= kSmallHeadDimMax && Hkv > 0 && H % Hkv == 0 && k.size(0) == B && k.size(2) == T &&
         k.size(3) == Hd && v.sizes() == k.sizes() && bias.size(0) == B && bias.size(1) == 1 && bias.size(2) == T &&
         bias.size(3) == T && q.stride(3) == 1 && k.stride(3) == 1 && v.stride(3) == 1 && bias.stride(3) == 1 &&
         !bias.requires_grad();
}

torch::Tensor small_head_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   const torch::Tensor& bias, double scale) {
  FSLLM_CHECK(small_head_attention_applies(q, k, v, bias), ErrorCode::kInvalidArg,
              "small_head_attention: inputs outside the kernel's shapes (see small_head_attention_applies)");
  const bool needs_grad = torch::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
  if (needs_grad) return SmallHeadAttention::apply(q, k, v, bias, scale);
  return attention_forward(Inputs(q, k, v, bias, scale), q.options()).out;
}

}  // namespace fsllm::kernels
