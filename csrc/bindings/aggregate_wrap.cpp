// SPDX-License-Identifier: Apache-2.0
// The rules are O(K n) passes (Krum: one GEMM per column tile), seconds for 100 clients of a LLaMA-7B adapter,
// so they run off the JS thread on the per-env executor, like the codecs (bindings/codec_wrap.cpp).
#include "bindings/aggregate_wrap.h"

#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "aggregate/robust_rules.h"
#include "aggregate/server_optimizer.h"
#include "bindings/errors.h"
#include "bindings/jobs/function_job.h"
#include "bindings/options.h"

namespace fsllm::bindings {

namespace {

using aggregate::Rows;

ArrayView pin_floats(Napi::Env env, FunctionJob& job, Napi::Value value, const std::string& path, int64_t length = -1) {
  return job.pin(expect_typed_array(env, value, napi_float32_array, "a Float32Array", path, length));
}

// updates: Float32Array[] of one length (>= 1).
Rows pin_rows(Napi::Env env, FunctionJob& job, Napi::Value value, const std::string& path) {
  if (!value.IsArray() || value.As<Napi::Array>().Length() == 0) throw_invalid_arg(env, "Expected a non-empty array of Float32Array for " + path);
  auto array = value.As<Napi::Array>();
  Rows rows;
  for (uint32_t k = 0; k < array.Length(); ++k) {
    const int64_t length = k == 0 ? -1 : static_cast<int64_t>(rows.n);
    auto view = pin_floats(env, job, array.Get(k), path + "[" + std::to_string(k) + "]", length);
    if (k == 0) rows.n = view.length;
    rows.rows.push_back(static_cast<const float*>(view.data));
  }
  return rows;
}

std::vector<double> get_weights(Napi::Env env, Napi::Object o, size_t k) {
  auto value = o.Get("weights");
  if (value.IsUndefined()) return std::vector<double>(k, 1.0);
  if (!value.IsArray() || value.As<Napi::Array>().Length() != k) throw_invalid_arg(env, "Expected weights: one positive number per update");
  std::vector<double> w(k);
  for (uint32_t i = 0; i < k; ++i) {
    auto v = value.As<Napi::Array>().Get(i);
    w[i] = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(w[i] > 0)) throw_invalid_arg(env, "Expected weights[" + std::to_string(i) + "] to be a positive number");
  }
  return w;
}

Napi::Array to_js(Napi::Env env, const std::vector<double>& values) {
  auto out = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); ++i) out.Set(i, Napi::Number::New(env, values[i]));
  return out;
}

// aggregateAccumulate(sum: Float64Array, update: Float32Array, weight) -> Promise<void>: sum += weight * update.
Napi::Value AggregateAccumulate(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "aggregateAccumulate");
  auto sum = job->pin(expect_typed_array(env, info[0], napi_float64_array, "a Float64Array", "sum"));
  auto update = pin_floats(env, *job, info[1], "update", static_cast<int64_t>(sum.length));
  const double weight = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : -1;
  if (!(weight > 0)) throw_invalid_arg(env, "Expected a positive weight");
  job->work = [sum, update, weight] {
    aggregate::accumulate(static_cast<double*>(sum.data), static_cast<const float*>(update.data), sum.length, weight);
  };
  return Executor::Submit(env, std::move(job));
}

// aggregateFinishMean(sum: Float64Array, total, out: Float32Array) -> Promise<void>: out = sum / total.
Napi::Value AggregateFinishMean(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto job = std::make_unique<FunctionJob>(env, "aggregateFinishMean");
  auto sum = job->pin(expect_typed_array(env, info[0], napi_float64_array, "a Float64Array", "sum"));
  const double total = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (!(total > 0)) throw_invalid_arg(env, "Expected a positive total weight");
  auto out = pin_floats(env, *job, info[2], "out", static_cast<int64_t>(sum.length));
  job->work = [sum, total, out] {
    aggregate::finish_mean(static_cast<const double*>(sum.data), sum.length, total, static_cast<float*>(out.data));
  };
  return Executor::Submit(env, std::move(job));
}

// aggregateRule({ rule, updates, weights?, trim?, byzantine?, select?, out }) -> Promise<{ scores?, selected? }>.
// rule: mean | median | trimmedMean (trim values cut at each end) | krum / multiKrum (byzantine f; select m
// best-scored updates averaged with their weights; krum: m = 1). Krum resolves with every score and the picks.
Napi::Value AggregateRule(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = expect_object(env, info[0], "options");
  auto job = std::make_unique<FunctionJob>(env, "aggregateRule");
  const std::string rule = get_string(o, "rule", "options", "");
  Rows rows = pin_rows(env, *job, o.Get("updates"), "options.updates");
  auto out = pin_floats(env, *job, o.Get("out"), "options.out", static_cast<int64_t>(rows.n));
  auto weights = get_weights(env, o, rows.rows.size());
  const int64_t trim = get_int(o, "trim", "options", 0);
  const int64_t byzantine = get_int(o, "byzantine", "options", 0);
  const int64_t select = get_int(o, "select", "options", 1);
  if (trim < 0 || byzantine < 0 || select < 1) throw_invalid_arg(env, "Expected trim, byzantine >= 0 and select >= 1");
  if (rule != "mean" && rule != "median" && rule != "trimmedMean" && rule != "krum" && rule != "multiKrum") {
    throw_invalid_arg(env, "Unknown aggregation rule \"" + rule + "\" (use mean, median, trimmedMean, krum or multiKrum)");
  }
  auto scores = std::make_shared<std::vector<double>>();
  auto selected = std::make_shared<std::vector<double>>();
  job->work = [=] {
    float* dst = static_cast<float*>(out.data);
    if (rule == "mean") return aggregate::weighted_mean(rows, weights, dst);
    if (rule == "median") return aggregate::coordinate_median(rows, dst);
    if (rule == "trimmedMean") return aggregate::trimmed_mean(rows, static_cast<size_t>(trim), dst);
    const size_t k = rows.rows.size();
    *scores = aggregate::krum_scores(aggregate::pairwise_squared_distances(rows), k, static_cast<size_t>(byzantine));
    std::vector<size_t> order(k);
    std::iota(order.begin(), order.end(), 0);
    // Ties go to the lower index, so the pick does not depend on the sort's stability.
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return (*scores)[a] < (*scores)[b] || ((*scores)[a] == (*scores)[b] && a < b); });
    const size_t m = std::min(k, rule == "krum" ? size_t{1} : static_cast<size_t>(select));
    Rows picked{{}, rows.n};
    std::vector<double> picked_weights;
    for (size_t i = 0; i < m; ++i) {
      picked.rows.push_back(rows.rows[order[i]]);
      picked_weights.push_back(weights[order[i]]);
      selected->push_back(static_cast<double>(order[i]));
    }
    aggregate::weighted_mean(picked, picked_weights, dst);
  };
  job->resolve = [scores, selected](Napi::Env env) -> Napi::Value {
    auto result = Napi::Object::New(env);
    if (!scores->empty()) {
      result.Set("scores", to_js(env, *scores));
      result.Set("selected", to_js(env, *selected));
    }
    return result;
  };
  return Executor::Submit(env, std::move(job));
}

// aggregateNormBound({ updates, global, bound }) -> Promise<number[]>: scales each update's delta from global to
// L2 norm <= bound in place; resolves with the norms before clipping.
Napi::Value AggregateNormBound(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = expect_object(env, info[0], "options");
  auto job = std::make_unique<FunctionJob>(env, "aggregateNormBound");
  Rows rows = pin_rows(env, *job, o.Get("updates"), "options.updates");
  auto global = pin_floats(env, *job, o.Get("global"), "options.global", static_cast<int64_t>(rows.n));
  const double bound = get_number(o, "bound", "options", -1);
  if (!(bound > 0)) throw_invalid_arg(env, "Expected options.bound to be a positive number");
  auto norms = std::make_shared<std::vector<double>>();
  job->work = [=] {
    const float* g = static_cast<const float*>(global.data);
    *norms = aggregate::delta_norms(rows, g);
    for (size_t r = 0; r < rows.rows.size(); ++r) {
      // The rows are the caller's own buffers, pinned by the job; clipping writes them in place.
      if ((*norms)[r] > bound) aggregate::scale_delta(const_cast<float*>(rows.rows[r]), g, rows.n, static_cast<float>(bound / (*norms)[r]));
    }
  };
  job->resolve = [norms](Napi::Env env) -> Napi::Value { return to_js(env, *norms); };
  return Executor::Submit(env, std::move(job));
}

// serverOptimizerStep({ type, global, aggregate, m, v?, lr, momentum, beta1, beta2, tau }) -> Promise<void>:
// one step of aggregate/server_optimizer.h, updating global, m and v in place.
Napi::Value ServerOptimizerStep(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = expect_object(env, info[0], "options");
  auto job = std::make_unique<FunctionJob>(env, "serverOptimizerStep");
  auto type = guard_sync(env, "serverOptimizerStep", [&] { return aggregate::parse_server_optimizer(get_string(o, "type", "options", "")); });
  auto global = pin_floats(env, *job, o.Get("global"), "options.global");
  const auto n = static_cast<int64_t>(global.length);
  auto agg = pin_floats(env, *job, o.Get("aggregate"), "options.aggregate", n);
  auto m = pin_floats(env, *job, o.Get("m"), "options.m", n);
  ArrayView v;
  if (type != aggregate::ServerOptimizer::kAvgM) v = pin_floats(env, *job, o.Get("v"), "options.v", n);
  aggregate::ServerOptimizerParams p;
  p.lr = static_cast<float>(get_number(o, "lr", "options", p.lr));
  p.momentum = static_cast<float>(get_number(o, "momentum", "options", p.momentum));
  p.beta1 = static_cast<float>(get_number(o, "beta1", "options", p.beta1));
  p.beta2 = static_cast<float>(get_number(o, "beta2", "options", p.beta2));
  p.tau = static_cast<float>(get_number(o, "tau", "options", p.tau));
  job->work = [=] {
    aggregate::server_step(type, p, static_cast<float*>(global.data), static_cast<const float*>(agg.data), static_cast<float*>(m.data),
                           static_cast<float*>(v.data), global.length);
  };
  return Executor::Submit(env, std::move(job));
}

}  // namespace

void register_aggregate(Napi::Env env, Napi::Object exports) {
  exports.Set("aggregateAccumulate", Napi::Function::New<AggregateAccumulate>(env, "aggregateAccumulate"));
  exports.Set("aggregateFinishMean", Napi::Function::New<AggregateFinishMean>(env, "aggregateFinishMean"));
  exports.Set("aggregateRule", Napi::Function::New<AggregateRule>(env, "aggregateRule"));
  exports.Set("aggregateNormBound", Napi::Function::New<AggregateNormBound>(env, "aggregateNormBound"));
  exports.Set("serverOptimizerStep", Napi::Function::New<ServerOptimizerStep>(env, "serverOptimizerStep"));
}

}  // namespace fsllm::bindings
