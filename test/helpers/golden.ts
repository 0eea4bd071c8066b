// Fixtures of the golden tests (no suites here): the HF/PEFT reference folders under
// test/fixtures/golden/, their batch as a RawBatch, and the observation helpers that read gradients and
// optimizer steps back from the real update path.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import * as assert from 'uvu/assert';

import { loadAdapter, Model, sliceOf, TrainSession } from '../../lib/index.js';
import type { AdapterState, OptimizerOptions, RawBatch } from '../../lib/index.js';
import { readSafetensors } from '../../lib/formats/index.js';
import type { SafetensorsTensor } from '../../lib/formats/index.js';
import { FIXTURES } from './paths.js';
import type { CloseReport } from './tolerance.js';

export const GOLDEN_DIR = path.join(FIXTURES, 'golden');

/** The three HF/PEFT reference fixtures, in the order of every case table. */
export const GOLDEN_MODELS = ['llama', 'qwen2', 'gpt2'] as const;
export type GoldenModelName = (typeof GOLDEN_MODELS)[number];

/** The parts of meta.json the tests read. */
export interface GoldenMeta {
  model: string;
  lora: { r: number; lora_alpha: number; scaling: number; adapter_keys: string[] };
  adamw: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  sgd: { lr: number };
  clip: { max_norm: number };
}

export interface GoldenFixture {
  name: string;
  dir: string;
  modelDir: string;
  adapterDir: string;
  meta: GoldenMeta;
  tensors: Map<string, SafetensorsTensor>;
  /** The fixture's [2, 12] batch with labels. */
  batch: RawBatch;
  /** Size of the last dimension of the logits. */
  vocab: number;
}

/** Reads `dir/expected.safetensors` by tensor name. */
export async function loadExpected(dir: string): Promise<Map<string, SafetensorsTensor>> {
  const { tensors } = await readSafetensors(path.join(dir, 'expected.safetensors'));
  return new Map(tensors.map((t) => [t.name, t]));
}

/** Loads the reference folder `test/fixtures/golden/<name>/` (files only, no native model). */
export async function loadGolden(name: GoldenModelName): Promise<GoldenFixture> {
  const dir = path.join(GOLDEN_DIR, name);
  const meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8')) as GoldenMeta;
  const tensors = await loadExpected(dir);
  const batch = batchOf(tensors);
  const logits = tensorOf(tensors, 'logits');
  return {
    name,
    dir,
    modelDir: path.join(dir, 'model'),
    adapterDir: path.join(dir, 'adapter'),
    meta,
    tensors,
    batch,
    vocab: logits.shape.at(-1)!,
  };
}

/** The named tensor; fails the test when it is missing. */
export function tensorOf(tensors: Map<string, SafetensorsTensor>, name: string): SafetensorsTensor {
  const t = tensors.get(name);
  assert.ok(t, `expected.safetensors has no tensor ${name}`);
  return t;
}

/** The named fp32 tensor's data. */
export function f32(tensors: Map<string, SafetensorsTensor>, name: string): Float32Array {
  const t = tensorOf(tensors, name);
  assert.is(t.dtype, 'f32', `dtype of ${name}`);
  return t.data as Float32Array;
}

/** The named fp32 scalar. */
export function scalar(tensors: Map<string, SafetensorsTensor>, name: string): number {
  const data = f32(tensors, name);
  assert.is(data.length, 1, `${name} is a scalar`);
  return data[0]!;
}

/** An int64 tensor as Int32Array (ids, labels and masks fit). */
export function int32Of(tensors: Map<string, SafetensorsTensor>, name: string): Int32Array {
  const t = tensorOf(tensors, name);
  assert.is(t.dtype, 'i64', `dtype of ${name}`);
  return Int32Array.from(t.data as BigInt64Array, Number);
}

/** `input_ids`, `attention_mask` and (when present) `labels` of a reference file as a RawBatch. */
export function batchOf(tensors: Map<string, SafetensorsTensor>, idsName = 'input_ids'): RawBatch {
  const shape = tensorOf(tensors, idsName).shape;
  assert.is(shape.length, 2, `${idsName} is [batch, seq]`);
  const [batch, seq] = shape as [number, number];
  const ids = int32Of(tensors, idsName);
  const attentionMask = tensors.has('attention_mask') ? Uint8Array.from(int32Of(tensors, 'attention_mask')) : new Uint8Array(ids.length).fill(1);
  const labels = tensors.has('labels') ? int32Of(tensors, 'labels') : undefined;
  return { ids, attentionMask, batch, seq, ...(labels ? { labels } : {}) };
}

/** Selects the flat logit indices `[batch, seq, vocab]` whose position has attention_mask = 1. */
export function realPositions(batch: RawBatch, vocab: number): (index: number) => boolean {
  return (i) => batch.attentionMask[Math.floor(i / vocab)] === 1;
}

/** The fixture's base model with its PEFT adapter attached, and that adapter's initial state. */
export async function loadAdapted(fx: GoldenFixture): Promise<{ model: Model; initial: AdapterState }> {
  const model = await Model.load(fx.modelDir);
  try {
    await loadAdapter(model, fx.adapterDir);
    return { model, initial: await model.exportAdapter() };
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

/** Each manifest entry's slice of `state`, by PEFT key. */
export function byName(state: AdapterState): Map<string, Float32Array> {
  return new Map(state.manifest.map((e) => [e.name, sliceOf(state, e)]));
}

/**
 * Restores `initial`, then runs one trainStep on `batch` (or micro-batches) in a new session (disposed before returning),
 * so no optimizer state or parameter change leaks from an earlier check.
 */
export async function stepFrom(
  model: Model,
  initial: AdapterState,
  batch: RawBatch | RawBatch[],
  optimizer: OptimizerOptions,
  step: { lr: number; maxGradNorm?: number },
): Promise<{ after: AdapterState; metrics: Awaited<ReturnType<TrainSession['trainStep']>> }> {
  await model.importAdapter(initial);
  const session = await TrainSession.create(model, { optimizer });
  try {
    const metrics = await session.trainStep(batch, step);
    return { after: await model.exportAdapter(), metrics };
  } finally {
    await session.dispose();
  }
}

/** Plain SGD: p ← p − lr·g (no momentum, no weight decay). */
export const PLAIN_SGD: OptimizerOptions = { type: 'sgd', momentum: 0, weightDecay: 0 };

/**
 * The gradient of the mean loss at `initial`, observed through the real update path: one plain SGD
 * step with lr = 1 gives g = before − after exactly up to the rounding of `after` (|p|·2^-24).
 * With `maxGradNorm`, these are the clipped gradients.
 */
export async function gradientsAt(
  model: Model,
  initial: AdapterState,
  batch: RawBatch | RawBatch[],
  maxGradNorm?: number,
): Promise<{ grads: AdapterState; metrics: Awaited<ReturnType<TrainSession['trainStep']>> }> {
  const { after, metrics } = await stepFrom(model, initial, batch, PLAIN_SGD, { lr: 1, ...(maxGradNorm ? { maxGradNorm } : {}) });
  const data = new Float32Array(initial.data.length);
  for (let i = 0; i < data.length; i++) data[i] = initial.data[i]! - after.data[i]!;
  return { grads: { data, manifest: after.manifest }, metrics };
}

/** Asserts that `state` holds exactly the adapter keys of the fixture (same names, same shapes). */
export function assertSameKeys(state: AdapterState, fx: GoldenFixture): void {
  const names = state.manifest.map((e) => e.name).sort();
  assert.equal(names, [...fx.meta.lora.adapter_keys].sort(), `${fx.name}: adapter keys`);
  for (const e of state.manifest) assert.equal(e.shape, tensorOf(fx.tensors, `grad.${e.name}`).shape, `${fx.name}: shape of ${e.name}`);
}

/** The largest |grad| entry over all the reference gradients of the fixture. */
export function maxReferenceGrad(fx: GoldenFixture, prefix = 'grad.'): number {
  let m = 0;
  for (const key of fx.meta.lora.adapter_keys) for (const v of f32(fx.tensors, `${prefix}${key}`)) m = Math.max(m, Math.abs(v));
  return m;
}

/** The AdamW options of meta.json. */
export function adamwOf(fx: GoldenFixture): OptimizerOptions {
  const { betas, eps, weight_decay } = fx.meta.adamw;
  return { type: 'adamw', beta1: betas[0], beta2: betas[1], eps, weightDecay: weight_decay };
}

/** Disposes every model (for `after` hooks: models that failed to load are simply absent). */
export async function disposeAll(models: Iterable<Model | undefined>): Promise<void> {
  for (const model of models) await model?.dispose();
}

/** One row of a case table: a fixture, its model with the PEFT adapter loaded, and that adapter's state. */
export interface AdaptedCase {
  fx: GoldenFixture;
  model: Model;
  initial: AdapterState;
}

/** Opens every fixture of GOLDEN_MODELS with its adapter (for `before`); nothing leaks if one fails. */
export async function openAdaptedCases(): Promise<Map<GoldenModelName, AdaptedCase>> {
  const cases = new Map<GoldenModelName, AdaptedCase>();
  try {
    for (const name of GOLDEN_MODELS) {
      const fx = await loadGolden(name);
      cases.set(name, { fx, ...(await loadAdapted(fx)) });
    }
    return cases;
  } catch (error) {
    await closeAdaptedCases(cases);
    throw error;
  }
}

/** Disposes the models of `openAdaptedCases` (for `after`; accepts a context whose `before` failed). */
export async function closeAdaptedCases(cases: Map<GoldenModelName, AdaptedCase> | undefined): Promise<void> {
  await disposeAll([...(cases?.values() ?? [])].map((c) => c.model));
}

/** Each row of `batch` as its own one-row micro-batch (copies). */
export function splitRows(batch: RawBatch): RawBatch[] {
  const rows: RawBatch[] = [];
  for (let b = 0; b < batch.batch; b++) {
    const [from, to] = [b * batch.seq, (b + 1) * batch.seq];
    rows.push({
      ids: batch.ids.slice(from, to),
      attentionMask: batch.attentionMask.slice(from, to),
      batch: 1,
      seq: batch.seq,
      ...(batch.labels ? { labels: batch.labels.slice(from, to) } : {}),
    });
  }
  return rows;
}

/** The five-point-stencil slope of the mean eval loss along one flat adapter coordinate (error O(h^4)). */
async function lossSlope(model: Model, initial: AdapterState, batch: RawBatch, index: number, h: number): Promise<number> {
  const loss = async (shift: number) => {
    const data = Float32Array.from(initial.data);
    data[index] = data[index]! + shift;
    await model.importAdapter(data);
    const { lossSum, tokens } = await model.evalLoss([batch]);
    return lossSum / tokens;
  };
  const [p1, m1, p2, m2] = [await loss(h), await loss(-h), await loss(2 * h), await loss(-2 * h)];
  return (8 * (p1 - m1) - (p2 - m2)) / (12 * h);
}

/** Finite-difference check settings: step `h`; pass when |slope - g| <= abs + rel * |g|. */
export interface FiniteDifferenceCheck {
  h: number;
  abs: number;
  rel: number;
}

/**
 * Asserts that the analytic gradient `grads` matches the loss slope at each flat coordinate (named by
 * `nameOf` in failures), starting from `initial`, which the model holds again afterwards. Every bound
 * must be able to see a 3 % gradient error. Returns the observed errors.
 */
export async function assertFiniteDifferences(
  model: Model, initial: AdapterState, batch: RawBatch, grads: AdapterState,
  coordinates: readonly number[], check: FiniteDifferenceCheck, nameOf: (index: number) => string,
): Promise<Pick<CloseReport, 'count' | 'maxAbs' | 'maxRel' | 'worst'>> {
  const report = { count: coordinates.length, maxAbs: 0, maxRel: 0, worst: 0 };
  try {
    for (const index of coordinates) {
      const g = grads.data[index]!;
      const slope = await lossSlope(model, initial, batch, index, check.h);
      const bound = check.abs + check.rel * Math.abs(g);
      assert.ok(bound <= 0.03 * Math.abs(g) + 1e-12, 'the bound must be able to see a 3 % gradient error');
      const diff = Math.abs(slope - g);
      assert.ok(diff <= bound, `${nameOf(index)}: analytic ${g}, finite differences ${slope} (|diff| ${diff.toExponential(2)} > ${bound.toExponential(2)})`);
      report.worst = Math.max(report.worst, diff / bound);
      report.maxAbs = Math.max(report.maxAbs, diff);
      report.maxRel = Math.max(report.maxRel, diff / Math.abs(g));
    }
  } finally {
    await model.importAdapter(initial);
  }
  return report;
}
