// SPDX-License-Identifier: Apache-2.0
#include "aggregate/robust_rules.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace fsllm::aggregate {

namespace {

constexpr int64_t kGrainValues = 1 << 14;  // values per parallel chunk of the element-wise passes
// Coordinates gathered at once for the order statistics: K rows of this many values stay in L2.
constexpr size_t kBlock = 512;
// Columns per GEMM tile of Krum's distances: K x kTile floats (6.5 MB at K = 100).
constexpr size_t kTile = 16384;

// Runs `per_value(i, values)` for every coordinate i, with values[0..K) the rows' values at i (in any order:
// the callee may reorder them). Rows are read a block at a time, so each row is read sequentially.
template <typename F>
void for_each_coordinate(const Rows& u, F per_value) {
  const size_t k = u.rows.size();
  const int64_t blocks = static_cast<int64_t>((u.n + kBlock - 1) / kBlock);
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> tile(k * kBlock);
    std::vector<float> values(k);
    for (int64_t b = begin; b < end; ++b) {
      const size_t i0 = static_cast<size_t>(b) * kBlock;
      const size_t width = std::min(kBlock, u.n - i0);
      for (size_t r = 0; r < k; ++r) std::copy(u.rows[r] + i0, u.rows[r] + i0 + width, tile.data() + r * kBlock);
      for (size_t j = 0; j < width; ++j) {
        for (size_t r = 0; r < k; ++r) values[r] = tile[r * kBlock + j];
        per_value(i0 + j, values);
      }
    }
  });
}

void check_rows(const Rows& u, size_t at_least, const char* rule) {
  FSLLM_CHECK(u.rows.size() >= at_least, ErrorCode::kInvalidArg,
              std::string(rule) + " needs at least " + std::to_string(at_least) + " updates, got " + std::to_string(u.rows.size()));
}

}  // namespace

void accumulate(double* sum, const float* x, size_t n, double weight) {
  at::parallel_for(0, static_cast<int64_t>(n), kGrainValues, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) sum[i] += weight * static_cast<double>(x[i]);
  });
}

void finish_mean(const double* sum, size_t n, double total, float* out) {
  at::parallel_for(0, static_cast<int64_t>(n), kGrainValues, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = static_cast<float>(sum[i] / total);
  });
}

void weighted_mean(const Rows& u, const std::vector<double>& weights, float* out) {
  check_rows(u, 1, "the weighted mean");
  double total = 0;
  for (double w : weights) total += w;
  at::parallel_for(0, static_cast<int64_t>(u.n), kGrainValues, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double s = 0;
      for (size_t r = 0; r < u.rows.size(); ++r) s += weights[r] * static_cast<double>(u.rows[r][i]);
      out[i] = static_cast<float>(s / total);
    }
  });
}

void coordinate_median(const Rows& u, float* out) {
  check_rows(u, 1, "the median");
  const size_t k = u.rows.size();
  const size_t mid = k / 2;
  for_each_coordinate(u, [&](size_t i, std::vector<float>& v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
    if (k % 2 == 1) {
      out[i] = v[mid];
    } else {
      // The lower middle value is the largest of the first half.
      const float lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
      out[i] = static_cast<float>((static_cast<double>(lower) + v[mid]) / 2);
    }
  });
}

void trimmed_mean(const Rows& u, size_t trim, float* out) {
  const size_t k = u.rows.size();
  FSLLM_CHECK(2 * trim < k, ErrorCode::kInvalidArg,
              "the trimmed mean drops " + std::to_string(trim) + " values at each end of " + std::to_string(k) + ", leaving none");
  for_each_coordinate(u, [&](size_t i, std::vector<float>& v) {
    auto first = v.begin() + static_cast<std::ptrdiff_t>(trim);
    auto last = v.end() - static_cast<std::ptrdiff_t>(trim);
    if (trim > 0) {
      std::nth_element(v.begin(), first, v.end());              // [0, trim) hold the smallest
      std::nth_element(first, last - 1, v.end());               // [K - trim, K) hold the largest
    }
    double s = 0;
    for (auto it = first; it != last; ++it) s += *it;
    out[i] = static_cast<float>(s / static_cast<double>(k - 2 * trim));
  });
}

std::vector<double> pairwise_squared_distances(const Rows& u) {
  const size_t k = u.rows.size();
  // ||a - b||^2 = |a|^2 + |b|^2 - 2 a.b per tile, each tile's Gram matrix summed in double: fp32 GEMMs over
  // tiles of 16 K values keep the cancellation error far below the gaps Krum ranks.
  std::vector<double> gram(k * k, 0.0);
  auto tile = at::empty({static_cast<int64_t>(k), static_cast<int64_t>(kTile)}, at::kFloat);
  float* t = tile.data_ptr<float>();
  for (size_t c0 = 0; c0 < u.n; c0 += kTile) {
    const size_t width = std::min(kTile, u.n - c0);
    for (size_t r = 0; r < k; ++r) std::copy(u.rows[r] + c0, u.rows[r] + c0 + width, t + r * kTile);
    auto view = tile.narrow(1, 0, static_cast<int64_t>(width));
    auto g = at::mm(view, view.t()).to(at::kDouble).contiguous();
    const double* gp = g.data_ptr<double>();
    for (size_t i = 0; i < k * k; ++i) gram[i] += gp[i];
  }
  std::vector<double> d(k * k, 0.0);
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = i + 1; j < k; ++j) {
      const double v = std::max(0.0, gram[i * k + i] + gram[j * k + j] - 2 * gram[i * k + j]);
      d[i * k + j] = d[j * k + i] = v;
    }
  }
  return d;
}

std::vector<double> krum_scores(const std::vector<double>& distances, size_t k, size_t byzantine) {
  FSLLM_CHECK(k > 2 * byzantine + 2, ErrorCode::kInvalidArg,
              "Krum with f = " + std::to_string(byzantine) + " needs more than 2f + 2 = " + std::to_string(2 * byzantine + 2) +
                  " updates, got " + std::to_string(k));
  const size_t nearest = k - byzantine - 2;
  std::vector<double> scores(k);
  std::vector<double> others;
  for (size_t i = 0; i < k; ++i) {
    others.clear();
    for (size_t j = 0; j < k; ++j) if (j != i) others.push_back(distances[i * k + j]);
    std::nth_element(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(nearest - 1), others.end());
    double s = 0;
    for (size_t j = 0; j < nearest; ++j) s += others[j];
    scores[i] = s;
  }
  return scores;
}

std::vector<double> delta_norms(const Rows& u, const float* global) {
  std::vector<double> norms(u.rows.size());
  for (size_t r = 0; r < u.rows.size(); ++r) {
    const float* x = u.rows[r];
    const double sq = at::parallel_reduce(
        0, static_cast<int64_t>(u.n), kGrainValues, 0.0,
        [&](int64_t begin, int64_t end, double acc) {
          for (int64_t i = begin; i < end; ++i) {
            const double d = static_cast<double>(x[i]) - global[i];
            acc += d * d;
          }
          return acc;
        },
        [](double a, double b) { return a + b; });
    norms[r] = std::sqrt(sq);
  }
  return norms;
}

void scale_delta(float* row, const float* global, size_t n, float factor) {
  at::parallel_for(0, static_cast<int64_t>(n), kGrainValues, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) row[i] = global[i] + factor * (row[i] - global[i]);
  });
}

}  // namespace fsllm::aggregate
