import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { InvalidArgumentError, TrainSession, type AdapterState, type Model, type RawBatch, type StepMetrics, type TrainSessionOptions } from '../../lib/index.js';
import { batchOf, STORY_TEXTS } from '../helpers/batches.js';
import { TINY_LORA, tinyAdaptedModel } from '../helpers/tinyModel.js';
import { assertClose, expectError } from './_support.js';

interface Ctx {
  model: Model;
  /** Current adapter (A, B): the attached one with B made non-zero. */
  start: AdapterState;
  /** Round-start adapter (A0, B0), different from `start` in both factors. */
  anchor: Float32Array;
  batches: RawBatch[];
}

const LR = 0.1;
const LAMBDA = 0.5;
const SCALING = TINY_LORA.alpha! / TINY_LORA.r;

/** One LoRA module of the flat layout: offsets of A (r, in) and B (out, r). */
interface Module {
  name: string;
  layer: number;
  a: number;
  b: number;
  r: number;
  inF: number;
  outF: number;
}

function modulesOf(state: AdapterState): Module[] {
  const out: Module[] = [];
  for (const e of state.manifest) {
    if (!e.name.endsWith('lora_A.weight')) continue;
    const prefix = e.name.slice(0, -'lora_A.weight'.length);
    const b = state.manifest.find((x) => x.name === `${prefix}lora_B.weight`)!;
    const layer = Number(/\.layers\.(\d+)\./.exec(e.name)?.[1] ?? -1);
    out.push({ name: prefix, layer, a: e.offset, b: b.offset, r: e.shape[0]!, inF: e.shape[1]!, outF: b.shape[0]! });
  }
  return out;
}

/** D = s·(B·A − B0·A0), (out, in) row-major, in float64. */
function deltaOf(m: Module, w: Float32Array, w0: Float32Array): Float64Array {
  const d = new Float64Array(m.outF * m.inF);
  for (let o = 0; o < m.outF; o++) {
    for (let i = 0; i < m.inF; i++) {
      let sum = 0;
      for (let k = 0; k < m.r; k++) sum += w[m.b + o * m.r + k]! * w[m.a + k * m.inF + i]! - w0[m.b + o * m.r + k]! * w0[m.a + k * m.inF + i]!;
      d[o * m.inF + i] = SCALING * sum;
    }
  }
  return d;
}

/** The term λ·Σ‖D‖² and its gradient (dA = 2λs·Bᵀ·D, dB = 2λs·D·Aᵀ) in the flat layout, over `modules`. */
function mergedTerm(modules: Module[], w: Float32Array, w0: Float32Array): { value: number; grad: Float64Array } {
  const grad = new Float64Array(w.length);
  let value = 0;
  for (const m of modules) {
    const d = deltaOf(m, w, w0);
    for (const x of d) value += LAMBDA * x * x;
    const c = 2 * LAMBDA * SCALING;
    for (let k = 0; k < m.r; k++) {
      for (let i = 0; i < m.inF; i++) {
        let s = 0;
        for (let o = 0; o < m.outF; o++) s += w[m.b + o * m.r + k]! * d[o * m.inF + i]!;
        grad[m.a + k * m.inF + i] = c * s;
      }
      for (let o = 0; o < m.outF; o++) {
        let s = 0;
        for (let i = 0; i < m.inF; i++) s += d[o * m.inF + i]! * w[m.a + k * m.inF + i]!;
        grad[m.b + o * m.r + k] = c * s;
      }
    }
  }
  return { value, grad };
}

/** Restores `ctx.start`, runs one SGD step and returns the adapter after it and the metrics. */
async function step(ctx: Ctx, mu: number, mode: 'params' | 'merged', batches = ctx.batches, session: TrainSessionOptions = {}): Promise<{ data: Float32Array; m: StepMetrics }> {
  await ctx.model.importAdapter(ctx.start);
  const s = await TrainSession.create(ctx.model, { optimizer: { type: 'sgd' }, ...session });
  try {
    await s.setProximalAnchor(ctx.anchor);
    const m = await s.trainStep(batches, { lr: LR, proximalMu: mu, proximalMode: mode });
    return { data: (await ctx.model.exportAdapter()).data, m };
  } finally {
    await s.dispose();
  }
}

/** Asserts w(merged) − w(plain) = −lr·grad over every element. */
function assertUpdate(merged: Float32Array, plain: Float32Array, grad: Float64Array, what: string): void {
  const got = Array.from(merged, (w, i) => w - plain[i]!);
  const expected = Array.from(grad, (g) => -LR * g);
  assert.ok(Math.max(...expected.map(Math.abs)) > 1e-3, 'the term should move the weights measurably');
  assertClose(got, expected, 2e-6, what);
}

// ---

const merged = suite<Ctx>("TrainSession.trainStep :: proximalMode 'merged'");

merged.before(async (ctx) => {
  ctx.model = await tinyAdaptedModel();
  const initial = await ctx.model.exportAdapter();
  ctx.start = { data: initial.data.map((w, i) => w + 0.05 * Math.sin(i + 1)), manifest: initial.manifest };
  ctx.anchor = ctx.start.data.map((w, i) => w + 0.03 * Math.cos(3 * i));
  const rows = STORY_TEXTS.map((t) => ctx.model.tokenizer!.encode(t));
  ctx.batches = [batchOf(rows.slice(0, 2)), batchOf(rows.slice(2, 4))];
});

merged.after(async (ctx) => {
  await ctx.model?.dispose();
});

merged('should add exactly -lr·grad of lambda·Σ||s(BA − B0A0)||² to an SGD update', async (ctx) => {
  const plain = await step(ctx, 0, 'merged', ctx.batches.slice(0, 1));
  const withTerm = await step(ctx, LAMBDA, 'merged', ctx.batches.slice(0, 1));
  const { grad } = mergedTerm(modulesOf(ctx.start), ctx.start.data, ctx.anchor);
  assertUpdate(withTerm.data, plain.data, grad, 'w(merged) - w(plain)');
  assert.is(withTerm.m.loss, plain.m.loss, 'loss stays the plain cross-entropy');
});

merged('should report the JS value of the term', async (ctx) => {
  const { m } = await step(ctx, LAMBDA, 'merged');
  const { value } = mergedTerm(modulesOf(ctx.start), ctx.start.data, ctx.anchor);
  assert.ok(value > 1e-3);
  assert.ok(Math.abs(m.proximal - value) <= 1e-9 * value, `${m.proximal} vs ${value}`);
});

merged('should add the term once per step, not per micro-batch', async (ctx) => {
  const plain = await step(ctx, 0, 'merged');
  const withTerm = await step(ctx, LAMBDA, 'merged');
  const { grad } = mergedTerm(modulesOf(ctx.start), ctx.start.data, ctx.anchor);
  assertUpdate(withTerm.data, plain.data, grad, 'two micro-batches');
});

merged('should not change with the loss scale', async (ctx) => {
  const unscaled = await step(ctx, LAMBDA, 'merged');
  const scaled = await step(ctx, LAMBDA, 'merged', ctx.batches, { lossScale: { initScale: 1024 } });
  assert.is(scaled.m.lossScale, 1024);
  assertClose(scaled.data, unscaled.data, 1e-6, 'adapter with loss scale 1024 vs 1');
});

merged('should be zero with its gradient at the anchor', async (ctx) => {
  const saved = ctx.anchor;
  ctx.anchor = ctx.start.data;
  try {
    const plain = await step(ctx, 0, 'merged');
    const atAnchor = await step(ctx, LAMBDA, 'merged');
    assert.ok(Math.abs(atAnchor.m.proximal) < 1e-12, `term ${atAnchor.m.proximal}`);
    assertClose(atAnchor.data, plain.data, 1e-7, 'adapter');
  } finally {
    ctx.anchor = saved;
  }
});

merged("should count only the session's modules :: layers [3, 4]", async (ctx) => {
  const session = { layers: [3, 4] };
  const plain = await step(ctx, 0, 'merged', ctx.batches, session);
  const withTerm = await step(ctx, LAMBDA, 'merged', ctx.batches, session);
  const { value, grad } = mergedTerm(modulesOf(ctx.start).filter((m) => m.layer >= 3), ctx.start.data, ctx.anchor);
  assert.ok(Math.abs(withTerm.m.proximal - value) <= 1e-9 * value, `${withTerm.m.proximal} vs ${value}`);
  assertUpdate(withTerm.data, plain.data, grad, 'layers 3 and 4');
});

merged('should refuse an unknown mode :: ERR_FSLLM_INVALID_ARG', async (ctx) => {
  const s = await TrainSession.create(ctx.model);
  try {
    const mode = 'weights' as 'merged';
    await expectError(() => s.trainStep(ctx.batches, { lr: LR, proximalMode: mode }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /^Expected 'params' or 'merged' for step\.proximalMode/);
  } finally {
    await s.dispose();
  }
});

merged.run();
