// SPDX-License-Identifier: Apache-2.0
// RoPE tables and application. Frequencies follow transformers' modeling_rope_utils:
// linear divides positions by `factor`; dynamic NTK rescales theta once the sequence outgrows
// `original_max_positions`; llama3 rescales low frequencies by `factor` and interpolates the band between.
#include "model/rotary.h"

#include <cmath>

namespace fsllm::model {

namespace {

torch::Tensor base_inv_freq(double theta, int64_t head_dim) {
  auto idx = torch::arange(0, head_dim, 2, torch::kFloat64);  // (Hd/2)
  return torch::pow(theta, -idx / static_cast<double>(head_dim));
}

// reference: Llama 3.1 `apply_scaling` (meta-llama/llama-models, rope scaling for 128k context)
torch::Tensor llama3_inv_freq(torch::Tensor inv_freq, const RopeScaling& s) {
  const double low_wavelen = s.original_max_positions / s.low_freq_factor;
  const double high_wavelen = s.original_max_positions / s.high_freq_factor;
  auto wavelen = 2.0 * M_PI / inv_freq;
  auto scaled = torch::where(wavelen > low_wavelen, inv_freq / s.factor, inv_freq);
  auto smooth = (s.original_max_positions / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  auto smoothed = (1.0 - smooth) * scaled / s.factor + smooth * scaled;
  auto medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen);
  return torch::where(medium, smoothed, scaled);
}

}  // namespace

Rope::Rope(const ModelConfig& config, torch::Device device)
    : scaling_(config.rope_scaling), theta_(config.rope_theta), head_dim_(config.head_dim),
      max_positions_(config.max_positions) {
  auto inv_freq = base_inv_freq(theta_, head_dim_);
  if (scaling_.type == RopeScalingType::kLlama3) inv_freq = llama3_inv_freq(inv_freq, scaling_);
  inv_freq_ = inv_freq.to(torch::kFloat32).to(device);
}

std::pair<torch::Tensor, torch::Tensor> Rope::tables(const torch::Tensor& positions,
                                                     torch::ScalarType dtype) const {
  auto inv_freq = inv_freq_.to(positions.device());
  auto pos = positions.to(torch::kFloat32);  // (B, T)
  if (scaling_.type == RopeScalingType::kLinear) pos = pos / scaling_.factor;
  if (scaling_.type == RopeScalingType::kDynamic) {
    const int64_t seq = positions.numel() ? positions.max().item<int64_t>() + 1 : 0;
    const int64_t orig = scaling_.original_max_positions > 0 ? scaling_.original_max_positions : max_positions_;
    if (seq > orig) {
      const double base = theta_ * std::pow(scaling_.factor * seq / orig - (scaling_.factor - 1.0),
                                            static_cast<double>(head_dim_) / (head_dim_ - 2));
      inv_freq = base_inv_freq(base, head_dim_).to(torch::kFloat32).to(inv_freq_.device());
    }
  }
  auto freqs = pos.unsqueeze(-1) * inv_freq;      // (B, T, Hd/2)
  auto emb = torch::cat({freqs, freqs}, /*dim=*/-1);  // (B, T, Hd)
  return {emb.cos().unsqueeze(1).to(dtype), emb.sin().unsqueeze(1).to(dtype)};  // (B, 1, T, Hd)
}

}  // namespace fsllm::model
