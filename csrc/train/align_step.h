// SPDX-License-Identifier: Apache-2.0
// Distillation of a student (the offsite-tuning emulator) towards a frozen teacher (the full model): one
// optimizer step of a TrainSession on the student per call, plus the eval-mode hidden-state tap it uses.
// It does not decide which layers form the emulator or which tensors train (the session's `layers` do).
#pragma once

#include <atomic>
#include <vector>

#include "train/train_session.h"

namespace fsllm::train {

struct AlignOptions {
  double lr = 1e-3;
  double max_grad_norm = 0.0;  // <= 0: no clipping
  amp::Precision precision = amp::Precision::kFp32;
  int64_t student_tap = 0;     // blocks of the student before its tapped hidden state, in [0, L_student]
  int64_t teacher_tap = 0;     // blocks of the teacher before its tapped hidden state, in [0, L_teacher]
  double repr_weight = 1.0;    // weight of the teacher-RMS-normalised representation gap
  double kl_weight = 0.0;      // weight of the token KL(teacher || student); 0 skips the LM heads
  double lm_weight = 0.0;      // weight of the student's own CE on the labels (FS-LLM's lm_w); 0 skips it
};

struct AlignMetrics {
  double loss = 0.0;          // repr_weight * repr + kl_weight * kl + lm_weight * lm
  double repr = 0.0;          // token-weighted mean over micro-batches of the representation gap
  double kl = 0.0;            // token-weighted mean KL per real token; NaN when kl_weight is 0 (not computed)
  double lm = 0.0;            // mean CE over target tokens; NaN when lm_weight is 0 (not computed)
  int64_t tokens = 0;         // real (non-padding) tokens of the step
  double grad_norm = 0.0;     // before clipping, after unscaling
  double loss_scale = 1.0;
  bool skipped = false;       // fp16 overflow skipped the update
  double ms = 0.0;
};

// One alignment step of `session` (bound to the student model) towards `teacher`; see align_step.cpp for
// the terms. Throws fsllm::Error(kInvalidArg) for a teacher that is the student or differs in vocabulary
// or hidden size, a tap outside its model's [0, L], or no real token; kAborted between micro-batches when
// `abort` is set (weights untouched).
AlignMetrics align_step(TrainSession& session, model::CausalLmImpl& teacher, const std::vector<MicroBatch>& batches,
                        const AlignOptions& options, const std::atomic<bool>& abort);

// Eval mode, no grad: the hidden state (B, T, D) fp32 after `tap` blocks (0 = embedding output, L = after
// the last block, before the final norm). Later blocks are skipped.
torch::Tensor hidden_at(model::CausalLmImpl& model, const MicroBatch& batch, int64_t tap, amp::Precision precision);

// Real tokens (B, T) bool: the attention mask, and for packed rows also segment id != 0.
torch::Tensor real_tokens(const MicroBatch& batch);

}  // namespace fsllm::train
