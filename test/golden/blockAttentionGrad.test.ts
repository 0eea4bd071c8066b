// Finite-difference check of the block-causal attention's backward pass. Sequences of 128+ tokens take that
// path (one autograd node: query rows in blocks of 64, key/value gradients accumulated across blocks), which
// the HF fixtures (12 tokens) never reach. LoRA on q, k, v and o of stories260K (grouped-query: 8 heads over
// 4 key/value heads), two rows of 200 tokens, the second right-padded: the analytic gradient of every kind
// of adapter tensor must match the slope of evalLoss.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Model, type AdapterState, type RawBatch } from '../../lib/index.js';
import { seededRandom } from '../../lib/util/random.js';
import { assertFiniteDifferences, gradientsAt } from '../helpers/golden.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { logReport } from '../helpers/tolerance.js';

/** As test/golden/gradcheck.test.ts: five-point stencil, |fd - g| <= 1e-4 + 1 % |g| on |g| >= 5e-3 (<= 3 % of g). */
const H = 2e-2;
const FD_ABS = 1e-4;
const FD_REL = 1e-2;
const MIN_GRAD = 5e-3;
const SEQ = 200;
const PAD = 30;

type Ctx = { model: Model; batch: RawBatch; initial: AdapterState; grads: AdapterState };

function longBatch(vocab: number): RawBatch {
  const random = seededRandom(7);
  const ids = Int32Array.from({ length: 2 * SEQ }, () => Math.floor(random() * vocab));
  const attentionMask = new Uint8Array(2 * SEQ).fill(1);
  const labels = Int32Array.from(ids);
  for (let t = SEQ - PAD; t < SEQ; t++) {
    attentionMask[SEQ + t] = 0;
    labels[SEQ + t] = -100;
  }
  return { ids, labels, attentionMask, batch: 2, seq: SEQ };
}

const grad = suite<Ctx>('block-causal attention backward (finite differences)');

grad.before(async (ctx) => {
  ctx.model = await Model.load(STORIES_BIN);
  await ctx.model.attachLora({ r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], seed: 1 });
  // lora_B starts at zero, which would zero every lora_A gradient: start from a seeded random adapter.
  const shape = await ctx.model.exportAdapter();
  const random = seededRandom(11);
  const data = Float32Array.from(shape.data, () => (random() - 0.5) * 0.1);
  await ctx.model.importAdapter(data);
  ctx.initial = { data, manifest: shape.manifest };
  ctx.batch = longBatch(ctx.model.config.vocabSize);
  ctx.grads = (await gradientsAt(ctx.model, ctx.initial, ctx.batch)).grads;
});

grad.after(async (ctx) => {
  await ctx.model?.dispose();
});

grad('should match central differences for q, k, v and o adapters in the first and last layer', async (ctx) => {
  const { model, batch, initial, grads } = ctx;
  const layers = model.config.numLayers;
  const picks: { name: string; index: number }[] = [];
  for (const e of grads.manifest) {
    if (!e.name.includes('layers.0.') && !e.name.includes(`layers.${layers - 1}.`)) continue;
    const size = e.shape.reduce((a, b) => a * b, 1);
    // The entry with the largest |g| and one from the middle of the usable ones.
    const usable: number[] = [];
    for (let i = e.offset; i < e.offset + size; i++) if (Math.abs(grads.data[i]!) >= MIN_GRAD) usable.push(i);
    if (usable.length === 0) continue;
    usable.sort((a, b) => Math.abs(grads.data[b]!) - Math.abs(grads.data[a]!));
    picks.push({ name: e.name, index: usable[0]! }, { name: e.name, index: usable[Math.floor(usable.length / 2)]! });
  }
  const kinds = new Set(picks.map((p) => /(q|k|v|o)_proj\.lora_(A|B)/.exec(p.name)?.[0]));
  assert.is(kinds.size, 8, `coordinates from every adapter kind: ${[...kinds].join(', ')}`);

  const names = new Map(picks.map((p) => [p.index, p.name]));
  const report = await assertFiniteDifferences(model, initial, batch, grads, picks.map((p) => p.index), { h: H, abs: FD_ABS, rel: FD_REL }, (i) => `${names.get(i)}[${i}]`);
  logReport('block-causal attention finite differences', report);
});

grad('should give the short path\'s gradients when only the first 100 of 200 tokens carry labels (causality)', async (ctx) => {
  const { model, batch, initial } = ctx;
  // Row 0 only. Later tokens cannot change earlier outputs, so with labels on a 100-token prefix the long
  // (block) path and the short (single-matmul) path must give the same gradients.
  const prefix = 100;
  const ids = batch.ids.slice(0, SEQ);
  const long = { ids, labels: Int32Array.from(ids, (v, i) => (i < prefix ? v : -100)), attentionMask: new Uint8Array(SEQ).fill(1), batch: 1, seq: SEQ };
  const short = { ids: ids.slice(0, prefix), labels: ids.slice(0, prefix), attentionMask: new Uint8Array(prefix).fill(1), batch: 1, seq: prefix };
  const a = (await gradientsAt(model, initial, long)).grads.data;
  const b = (await gradientsAt(model, initial, short)).grads.data;
  let maxDiff = 0;
  let maxGrad = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    maxGrad = Math.max(maxGrad, Math.abs(b[i]!));
  }
  assert.ok(maxGrad > 1e-3, `gradients are not all zero (${maxGrad})`);
  assert.ok(maxDiff <= 1e-5 * Math.max(1, maxGrad), `max |diff| ${maxDiff} (max |g| ${maxGrad})`);
});

grad.run();
