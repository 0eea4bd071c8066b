// SPDX-License-Identifier: Apache-2.0
// Emulator alignment (offsite-tuning distillation); see align_step.h. Per micro-batch, over its real
// tokens (rows N): repr = mean(((h_T - h_S) / sqrt(mean(h_T^2)))^2) at the two taps, kl = mean over tokens
// of KL(softmax(logits_T) || softmax(logits_S)), lm = the student's CE. The step loss averages the
// micro-batches weighted by their real tokens (targets for lm), like trainStep's accumulation.
#include "train/align_step.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "model/loss.h"

namespace fsllm::train {

namespace {

// Rows of `hidden` (B, T, D) at the flat token indices `keep` (N) -> (N, D) fp32.
torch::Tensor rows_of(const torch::Tensor& hidden, const torch::Tensor& keep) {
  return hidden.reshape({-1, hidden.size(-1)}).index_select(/*dim=*/0, keep).to(torch::kFloat32);
}

// One micro-batch's contributions, already multiplied by its weight in the step's averages:
// repr = N * repr_b, kl = KL summed over real tokens, lm = CE summed over targets (undefined when off).
struct MicroTerms {
  torch::Tensor repr, kl, lm;
};

MicroTerms micro_terms(model::CausalLmImpl& student, model::CausalLmImpl& teacher, const MicroBatch& b,
                       const AlignOptions& o) {
  const bool kl = o.kl_weight > 0.0, lm = o.lm_weight > 0.0;
  auto keep = real_tokens(b).reshape({-1}).nonzero().squeeze(1);  // (N)
  torch::Tensor t_tap, t_final;
  {
    torch::NoGradGuard no_grad;
    model::HiddenTap tap{o.teacher_tap, /*stop=*/!kl};
    auto final = teacher.hidden_states(b.ids, b.mask, /*cache=*/nullptr, b.segments, &tap);
    t_tap = rows_of(tap.value, keep);                 // (N, D)
    if (kl) t_final = rows_of(final, keep);           // (N, D)
  }
  model::HiddenTap tap{o.student_tap, /*stop=*/!kl && !lm};
  auto s_final = student.hidden_states(b.ids, b.mask, /*cache=*/nullptr, b.segments, &tap);
  auto s_tap = rows_of(tap.value, keep);              // (N, D)
  MicroTerms t;
  // FedBiOT's l2_norm(S, T) = mean(((T - S) / sqrt(mean(T^2)))^2) ([FedBiOT] federatedscope/llm/trainer/
  // bilevel_OT_trainer.py, OTTrainer_server), both means over the micro-batch's real tokens and features.
  auto mean_square = t_tap.square().mean().clamp_min(std::numeric_limits<float>::min());
  t.repr = (t_tap - s_tap).square().mean() / mean_square * static_cast<double>(keep.size(0));
  // FedBiOT's raw KL sums over every position, padding included, and divides by B*T; here only real tokens
  // count (padding logits are meaningless) and the sum is divided by their number in align_step.
  if (kl) t.kl = model::token_kl_sum(rows_of(s_final, keep), student.lm_head_weight(), t_final, teacher.lm_head_weight());
  if (lm) t.lm = model::causal_lm_loss_sum(s_final, student.lm_head_weight(), b.labels);
  return t;
}

void check_models(model::CausalLmImpl& student, model::CausalLmImpl& teacher, const AlignOptions& o) {
  const auto& s = student.config();
  const auto& t = teacher.config();
  FSLLM_CHECK(&student != &teacher, ErrorCode::kInvalidArg,
              "The teacher is the student's own Model; pass the full model as a separate Model instance");
  FSLLM_CHECK(s.vocab_size == t.vocab_size && s.hidden_size == t.hidden_size, ErrorCode::kInvalidArg,
              "Teacher and student must share vocabulary and hidden size (teacher " + std::to_string(t.vocab_size) + " x " +
                  std::to_string(t.hidden_size) + ", student " + std::to_string(s.vocab_size) + " x " +
                  std::to_string(s.hidden_size) + "); build the emulator from the teacher's checkpoint");
  FSLLM_CHECK(student.device() == teacher.device(), ErrorCode::kInvalidArg,
              "Teacher and student are on different devices (teacher " + teacher.device().str() + ", student " +
                  student.device().str() + "); load both with the same device");
  FSLLM_CHECK(o.student_tap >= 0 && o.student_tap <= s.num_layers, ErrorCode::kInvalidArg,
              "Expected an integer in [0, " + std::to_string(s.num_layers) + "] (the student's blocks) for studentTap but received " +
                  std::to_string(o.student_tap));
  FSLLM_CHECK(o.teacher_tap >= 0 && o.teacher_tap <= t.num_layers, ErrorCode::kInvalidArg,
              "Expected an integer in [0, " + std::to_string(t.num_layers) + "] (the teacher's blocks) for teacherTap but received " +
                  std::to_string(o.teacher_tap));
}

}  // namespace

torch::Tensor real_tokens(const MicroBatch& b) { return b.segments.defined() ? b.mask & (b.segments != 0) : b.mask; }

AlignMetrics align_step(TrainSession& session, model::CausalLmImpl& teacher, const std::vector<MicroBatch>& batches,
                        const AlignOptions& o, const std::atomic<bool>& abort) {
  const auto start = std::chrono::steady_clock::now();
  auto& student = session.model();
  check_models(student, teacher, o);
  FSLLM_CHECK(!batches.empty(), ErrorCode::kInvalidArg, "alignStep needs at least one micro-batch");
  session.check_trainable();
  AlignMetrics m;
  int64_t targets = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    validate(batches[i], student.config(), i);
    validate(batches[i], teacher.config(), i);
    m.tokens += real_tokens(batches[i]).sum().item<int64_t>();
    targets += count_targets(batches[i], /*lead=*/false);  // the lm term below is over the caller's tokens
  }
  FSLLM_CHECK(m.tokens > 0, ErrorCode::kInvalidArg, "alignStep's micro-batches have no real token (attentionMask is all 0)");
  FSLLM_CHECK(o.lm_weight <= 0.0 || targets > 0, ErrorCode::kInvalidArg,
              "lmWeight > 0 needs target labels, but every label of this step is -100 after the causal shift");
  auto frozen = session.freeze_others();
  teacher.eval();
  student.train();
  session.optimizer().zero_grad();
  m.loss_scale = session.loss_scale();
  amp::AutocastGuard autocast(o.precision, student.lm_head_weight().device());
  const double tokens = static_cast<double>(m.tokens);
  double repr = 0.0, kl = 0.0, lm = 0.0;
  for (const auto& b : batches) {
    if (abort.load()) {
      session.optimizer().zero_grad();
      throw Error(ErrorCode::kAborted, "alignStep was aborted; the weights were not updated");
    }
    auto t = micro_terms(student, teacher, b, o);
    auto loss = t.repr * (o.repr_weight / tokens);
    if (t.kl.defined()) loss = loss + t.kl * (o.kl_weight / tokens);
    if (t.lm.defined()) loss = loss + t.lm * (o.lm_weight / static_cast<double>(targets));
    // No path to the session's tensors (e.g. all of them after the student tap): nothing to backpropagate.
    if (loss.requires_grad()) (loss * m.loss_scale).backward();
    repr += t.repr.item<double>();
    if (t.kl.defined()) kl += t.kl.item<double>();
    if (t.lm.defined()) lm += t.lm.item<double>();
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  m.repr = repr / tokens;
  m.kl = o.kl_weight > 0.0 ? kl / tokens : nan;
  m.lm = o.lm_weight > 0.0 ? lm / static_cast<double>(targets) : nan;
  m.loss = o.repr_weight * m.repr + (o.kl_weight > 0.0 ? o.kl_weight * m.kl : 0.0) + (o.lm_weight > 0.0 ? o.lm_weight * m.lm : 0.0);
  StepOptions step;
  step.lr = o.lr;
  step.max_grad_norm = o.max_grad_norm;
  step.precision = o.precision;
  const auto u = session.apply_update(step);
  m.grad_norm = u.grad_norm;
  m.skipped = u.skipped;
  m.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return m;
}

torch::Tensor hidden_at(model::CausalLmImpl& model, const MicroBatch& batch, int64_t tap, amp::Precision precision) {
  torch::NoGradGuard no_grad;
  model.eval();
  validate(batch, model.config(), 0);
  amp::AutocastGuard autocast(precision, model.lm_head_weight().device());
  model::HiddenTap t{tap, /*stop=*/true};
  model.hidden_states(batch.ids, batch.mask, /*cache=*/nullptr, batch.segments, &t);
  return t.value.to(torch::kFloat32).contiguous();
}

}  // namespace fsllm::train
