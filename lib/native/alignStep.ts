/**
 * Options, metrics and validation of `TrainSession.alignStep`: distilling an offsite-tuning emulator
 * (the student) towards the full model (the teacher), one native call per optimizer step.
 */
import { invalidArg } from '../errors/index.js';
import type { Precision } from './binding.js';
import type { RawAlignMetrics, RawAlignOptions } from './rawSession.js';
import { Model } from './Model.js';

export interface AlignStepOptions {
  /** Learning rate of this step (>= 0; 0 computes the metrics without changing the weights). */
  lr: number;
  /** Clip the global gradient norm to this (0 or absent: no clipping). */
  maxGradNorm?: number;
  /** Blocks of the student before its compared hidden state: 0 = embeddings, `numLayers` = after its last block. */
  studentTap: number;
  /** Blocks of the teacher before its compared hidden state, in [0, teacher.config.numLayers]. */
  teacherTap: number;
  /**
   * Weight of the representation gap `mean(((h_T − h_S) / sqrt(mean(h_T²)))²)` over real tokens and features,
   * `mean(h_T²)` taken per micro-batch (FedBiOT's `l2_norm`). Default 1.
   */
  reprWeight?: number;
  /**
   * Weight of the token KL(teacher ‖ student) of the next-token distributions, averaged over real tokens
   * (FedBiOT averages over all B·T positions, padding included). Default 0: the LM heads and the blocks
   * after the taps are then not run and `kl` is reported as NaN. The logits are made in row chunks
   * (about 32 MiB of fp32 per chunk), never as a whole `[tokens, vocab]` block.
   */
  klWeight?: number;
  /**
   * Weight of the student's own cross-entropy on the batch labels (FS-LLM offsite-tuning's `lm_w`), averaged
   * over target tokens. Default 0 (not computed; `lm` is NaN).
   */
  lmWeight?: number;
  precision?: Precision;
  /** Aborts between micro-batches with `ERR_FSLLM_ABORTED`; the weights are then unchanged. */
  signal?: AbortSignal;
}

export type AlignMetrics = RawAlignMetrics;

function nonNegative(path: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArg(path, 'a finite number >= 0', value);
  return v;
}

function tapOf(path: string, value: unknown, model: Model, who: string): number {
  const layers = model.config.numLayers;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > layers) {
    throw invalidArg(path, `an integer in [0, ${layers}] (the ${who}'s blocks)`, value);
  }
  return value as number;
}

/**
 * @internal Validates `options` for a step of `student`'s session towards `teacher` and returns the native options.
 * @throws `ERR_FSLLM_INVALID_ARG` naming the option.
 */
export function toRawAlignOptions(options: AlignStepOptions, student: Model, teacher: Model): RawAlignOptions {
  if (!(teacher instanceof Model)) throw invalidArg('teacher', 'a Model', teacher);
  if (teacher === student) throw invalidArg('teacher', "a Model other than the session's own (load the checkpoint again)", teacher.source);
  const t = teacher.config;
  const s = student.config;
  if (t.vocabSize !== s.vocabSize || t.hiddenSize !== s.hiddenSize) {
    throw invalidArg('teacher', `a Model with the student's vocabulary and hidden size (${s.vocabSize} x ${s.hiddenSize})`, `${t.vocabSize} x ${t.hiddenSize}`);
  }
  if (typeof options !== 'object' || options === null) throw invalidArg('align', 'an options object', options);
  if (typeof options.lr !== 'number' || !Number.isFinite(options.lr) || options.lr < 0) throw invalidArg('align.lr', 'a finite number >= 0', options.lr);
  const raw: RawAlignOptions = {
    lr: options.lr,
    maxGradNorm: nonNegative('align.maxGradNorm', options.maxGradNorm, 0),
    precision: options.precision ?? 'fp32',
    studentTap: tapOf('align.studentTap', options.studentTap, student, 'student'),
    teacherTap: tapOf('align.teacherTap', options.teacherTap, teacher, 'teacher'),
    reprWeight: nonNegative('align.reprWeight', options.reprWeight, 1),
    klWeight: nonNegative('align.klWeight', options.klWeight, 0),
    lmWeight: nonNegative('align.lmWeight', options.lmWeight, 0),
  };
  if (raw.reprWeight + raw.klWeight + raw.lmWeight === 0) {
    throw invalidArg('align.reprWeight', 'a positive weight for at least one of reprWeight, klWeight, lmWeight', 0);
  }
  return raw;
}

/** @internal The two models in the order their locks are taken (ascending {@link Model.lockOrder}). */
export function lockOrder(a: Model, b: Model): [Model, Model] {
  return a.lockOrder < b.lockOrder ? [a, b] : [b, a];
}
