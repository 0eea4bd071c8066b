// SPDX-License-Identifier: Apache-2.0
// Aggregation rules over K clients' flat fp32 adapter buffers of n values each (the server's side of a round):
// the weighted mean (FedAvg, streamed one update at a time), the coordinate-wise median and trimmed mean
// (Yin et al. 2018), Krum / Multi-Krum (Blanchard et al. 2017), and the L2 norm bound on each client's delta.
// Pure loops over host memory plus one GEMM per column tile for Krum's distances; no N-API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fsllm::aggregate {

// The K buffers of one round, each n values long; `rows[k]` is client k's update.
struct Rows {
  std::vector<const float*> rows;
  size_t n = 0;
};

// sum[i] += weight * x[i] (double accumulation, so the mean's bits do not depend on K's size).
void accumulate(double* sum, const float* x, size_t n, double weight);

// out[i] = sum[i] / total.
void finish_mean(const double* sum, size_t n, double total, float* out);

// The weighted mean of the rows (weights > 0).
void weighted_mean(const Rows& u, const std::vector<double>& weights, float* out);

// Coordinate-wise median; an even K takes the mean of the two middle values.
void coordinate_median(const Rows& u, float* out);

// Coordinate-wise mean after dropping the `trim` smallest and `trim` largest values (2 * trim < K).
void trimmed_mean(const Rows& u, size_t trim, float* out);

// Squared L2 distances between every pair of rows, K x K row-major (zero diagonal), accumulated in double.
std::vector<double> pairwise_squared_distances(const Rows& u);

// Krum's score of each row: the sum of its squared distances to its K - f - 2 nearest other rows (K > 2f + 2).
std::vector<double> krum_scores(const std::vector<double>& distances, size_t k, size_t byzantine);

// The L2 norm of each row's delta from `global`.
std::vector<double> delta_norms(const Rows& u, const float* global);

// row = global + factor * (row - global), in place (a client's delta scaled to the norm bound).
void scale_delta(float* row, const float* global, size_t n, float factor);

}  // namespace fsllm::aggregate
