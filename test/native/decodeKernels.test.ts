// The decoding-shape kernels against libtorch's own path on the same weights. csrc/kernels/linear serves
// inputs of at most 32 rows: a prompt run alone (every projection and the head through it) must give the
// logits it gets inside a batch of more than 32 rows (packed OpenBLAS GEMMs). csrc/kernels/decode_attention
// serves each cached decoding step: every greedy token generate picks must be the argmax of a full forward
// over prompt + generated ids (no cache, libtorch attention), left-padded rows included. The shapes hit the
// kernels' edges: widths that are not multiples of 8, outputs not multiples of 3, grouped heads of 8, 24
// and 80 dimensions (one and two 64-wide chunks).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Model } from '../../lib/index.js';
import { randomRows } from '../helpers/batches.js';
import { writeRandomLlama, type RandomLlamaShape } from '../helpers/randomModel.js';
import { assertClose } from './_support.js';

const SHAPES: Record<string, RandomLlamaShape> = {
  'widths 44 and 100, head dim 22': { hidden: 44, intermediate: 100, layers: 2, heads: 2, vocab: 301, positions: 128 },
  'head dim 8, 3 query heads per KV head': { hidden: 48, intermediate: 100, layers: 2, heads: 6, kvHeads: 2, vocab: 301, positions: 128 },
  'head dim 24, 2 query heads per KV head': { hidden: 96, intermediate: 100, layers: 2, heads: 4, kvHeads: 2, vocab: 301, positions: 128 },
  'head dim 80, one KV head': { hidden: 160, intermediate: 100, layers: 2, heads: 2, kvHeads: 1, vocab: 301, positions: 128 },
};

type Ctx = { dir: string; models: Map<string, Model> };
const kernels = suite<Ctx>('decoding kernels');

kernels.before(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(os.tmpdir(), 'fsllm-decode-kernels-'));
  ctx.models = new Map();
  let seed = 11;
  for (const [name, shape] of Object.entries(SHAPES)) {
    const dir = path.join(ctx.dir, String(seed));
    await mkdir(dir);
    // Larger weights than the default make logits spread out, so an argmax is not decided by rounding.
    ctx.models.set(name, await Model.load(await writeRandomLlama(dir, shape, seed++, 0.3)));
  }
});

kernels.after(async (ctx) => {
  for (const model of ctx.models?.values() ?? []) await model.dispose();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

/** Logits of `rows` (all of one length), one forward. */
function logitsOf(model: Model, rows: number[][]): Promise<Float32Array> {
  const seq = rows[0]!.length;
  return model.logits({ ids: Int32Array.from(rows.flat()), attentionMask: new Uint8Array(rows.length * seq).fill(1), batch: rows.length, seq });
}

for (const name of Object.keys(SHAPES)) {
  kernels(`${name}: a prompt alone (few-rows kernel) gives its logits in a batch of 60 rows`, async ({ models }) => {
    const model = models.get(name)!;
    const rows = randomRows(5, 3, 20, model.config.vocabSize);
    const batched = await logitsOf(model, rows);
    const per = 20 * model.config.vocabSize;
    for (let r = 0; r < rows.length; r++) assertClose(await logitsOf(model, [rows[r]!]), batched.subarray(r * per, (r + 1) * per), 2e-4, `row ${r}`);
    const one = await logitsOf(model, [rows[0]!.slice(0, 1)]);
    assertClose(one, batched.subarray(0, model.config.vocabSize), 2e-4, 'a single row');
  });

  kernels(`${name}: every greedy token of a cached decode is the argmax of a full forward`, async ({ models }) => {
    const model = models.get(name)!;
    const vocab = model.config.vocabSize;
    // Three lengths, so the batched decode has left padding to skip.
    const prompts = [randomRows(8, 1, 9, vocab)[0]!, randomRows(9, 1, 3, vocab)[0]!, randomRows(10, 1, 14, vocab)[0]!];
    const generated = await model.generate(prompts, { maxNewTokens: 12, temperature: 0, stopAtEos: false, batchSize: 3 });
    for (let r = 0; r < prompts.length; r++) {
      const ids = generated[r]!.ids;
      assert.is(ids.length, 12, `row ${r} generated 12 tokens`);
      const text = [...prompts[r]!, ...ids.slice(0, -1)];
      const logits = await logitsOf(model, [text]);
      for (let t = 0; t < ids.length; t++) {
        const row = logits.subarray((prompts[r]!.length - 1 + t) * vocab, (prompts[r]!.length + t) * vocab);
        const best = Math.max(...row);
        assert.ok(row[ids[t]!]! >= best - 1e-4, `row ${r} step ${t}: picked ${ids[t]} (${row[ids[t]!]}) but the full forward's best is ${best}`);
      }
    }
  });
}

kernels.run();
