import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { CheckpointError, InvalidArgumentError } from '../../lib/errors/index.js';
import { readSafetensorsHeader, type TensorSource } from '../../lib/formats/index.js';
import { binding } from '../../lib/native/binding.js';
import { Model } from '../../lib/native/Model.js';
import { buildEmulator, loadEmulator, planEmulator, type EmulatorPlan } from '../../lib/emulator/index.js';
import { STORIES_BIN } from '../helpers/paths.js';
import { expectError, FIXTURES, fourBlockGpt2, maxAbsDiff, probeLogits, referenceFolder } from './_support.js';

const STORY = 'Once upon a time there was a dog named Max.';

const fedbiot = (n: number, s: number, beta: number) => planEmulator({ algorithm: 'fedbiot', numLayers: n, adapterLayers: s, dropRate: beta });

/** Logits of the model at `where` (loaded with `load`, then disposed). */
async function logitsAt(where: string, load: (p: string) => Promise<Model> = (p) => Model.load(p)): Promise<Float32Array> {
  const model = await load(where);
  try {
    return await probeLogits(model);
  } finally {
    await model.dispose();
  }
}

interface Ctx {
  tmp: string;
  full: Model;
  fullLogits: Float32Array;
}

// ---

const stories = suite<Ctx>('buildEmulator :: llama2.c stories260K');

stories.before(async (ctx) => {
  ctx.tmp = await mkdtemp(path.join(os.tmpdir(), 'fsllm-emu-'));
  ctx.full = await Model.load(STORIES_BIN);
  ctx.fullLogits = await probeLogits(ctx.full);
});

stories.after(async (ctx) => {
  await ctx.full?.dispose();
  if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true });
});

stories('should write blocks [0, 3, 4] for FedBiOT s 1, beta 0.5, loadable by Model.load', async (ctx) => {
  const dir = path.join(ctx.tmp, 'fedbiot');
  const info = await buildEmulator(STORIES_BIN, fedbiot(5, 1, 0.5), dir);
  assert.equal(info.manifest.plan.layout, [0, 3, 4]);
  assert.is(info.config.numLayers, 3);
  assert.equal((await readdir(dir)).sort(), [...info.manifest.files, 'emulator.json'].sort());
  const model = await Model.load(dir);
  try {
    assert.is(model.config.numLayers, 3);
    assert.equal(model.unexpectedKeys, []);
    assert.is(model.tokenizer, null); // an HF folder loader finds only tokenizer.json: see loadEmulator
    assert.ok(maxAbsDiff(await probeLogits(model), ctx.fullLogits) > 1e-2, 'dropping blocks changes the logits');
  } finally {
    await model.dispose();
  }
  const header = await readSafetensorsHeader(path.join(dir, 'model.safetensors'));
  assert.ok(header.tensors.every((t) => t.formatDType === 'F32' && !/layers\.[3-9]\./.test(t.name)));
  assert.is(header.metadata['format'], 'pt');
});

stories('should never decode a dropped block', async (ctx) => {
  const native = binding();
  const original = native.readTensors;
  const requested: string[] = [];
  native.readTensors = (sources: TensorSource[]) => {
    requested.push(...sources.map((t) => t.name));
    return original.call(native, sources);
  };
  try {
    await buildEmulator(STORIES_BIN, fedbiot(5, 1, 0.5), path.join(ctx.tmp, 'spied'));
  } finally {
    native.readTensors = original;
  }
  assert.is(requested.length, 2 + 3 * 9); // embeddings, final norm (the head is tied), 3 blocks of 9
  assert.ok(requested.every((name) => !/^model\.layers\.[12]\./.test(name)), requested.join());
});

stories('should carry the tokenizer, loaded by loadEmulator', async (ctx) => {
  const model = await loadEmulator(path.join(ctx.tmp, 'fedbiot'));
  try {
    assert.is(model.tokenizer?.kind, 'llama2c');
    assert.equal(model.tokenizer!.encode(STORY), ctx.full.tokenizer!.encode(STORY));
  } finally {
    await model.dispose();
  }
});

stories('should record the source by base name and hash in the manifest', async (ctx) => {
  const text = await readFile(path.join(ctx.tmp, 'fedbiot', 'emulator.json'), 'utf8');
  const manifest = JSON.parse(text);
  const bytes = await readFile(STORIES_BIN);
  assert.is(manifest.format, 'fsllm-emulator');
  assert.is(manifest.version, 1);
  assert.is(manifest.source, 'stories260K.bin');
  assert.is(manifest.sourceFormat, 'llama2c');
  assert.is(manifest.sourceSha256, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(manifest.sourceFiles, [{ name: 'stories260K.bin', sha256: manifest.sourceSha256, bytes: bytes.length }]);
  assert.is(manifest.tokenizer, 'tok512.bin');
  assert.ok(!text.includes(path.dirname(STORIES_BIN)), 'no absolute source path');
  assert.ok(Math.abs(Date.parse(manifest.createdAt) - Date.now()) < 60_000);
  const header = await readSafetensorsHeader(path.join(ctx.tmp, 'fedbiot', 'model.safetensors'));
  assert.is(manifest.tensorBytes, header.fileSize - header.dataOffset);
});

stories('should equal the full model exactly when nothing is dropped :: fedbiot beta 0', async (ctx) => {
  const dir = path.join(ctx.tmp, 'keep-all-fedbiot');
  await buildEmulator(STORIES_BIN, fedbiot(5, 2, 0), dir);
  assert.ok(maxAbsDiff(await logitsAt(dir), ctx.fullLogits) <= 1e-5);
});

stories('should equal the full model exactly when nothing is dropped :: fedot emu 1..4', async (ctx) => {
  const dir = path.join(ctx.tmp, 'keep-all-fedot');
  const plan = planEmulator({ algorithm: 'fedot', numLayers: 5, emuL: 1, emuR: 4, dropRate: 0 });
  assert.equal(plan.layout, [0, 1, 2, 3, 4]);
  await buildEmulator(STORIES_BIN, plan, dir);
  assert.ok(maxAbsDiff(await logitsAt(dir), ctx.fullLogits) <= 1e-5);
});

stories('should hold exactly the planned blocks :: fedot beta 0.5 vs a hand-cut HF twin', async (ctx) => {
  const plan = planEmulator({ algorithm: 'fedot', numLayers: 5, emuL: 1, emuR: 4, dropRate: 0.5 });
  assert.equal(plan.layout, [0, 1, 4]);
  const dir = path.join(ctx.tmp, 'fedot');
  await buildEmulator(STORIES_BIN, plan, dir);
  const reference = await referenceFolder(FIXTURES.storiesHf, plan.layout, path.join(ctx.tmp, 'ref-fedot'));
  const ours = await logitsAt(dir);
  assert.ok(maxAbsDiff(ours, await logitsAt(reference)) <= 1e-5);
  assert.ok(maxAbsDiff(ours, ctx.fullLogits) > 1e-2);
});

stories.run();

// ---

const families = suite<{ tmp: string }>('buildEmulator :: HF folders and GGUF');

families.before(async (ctx) => {
  ctx.tmp = await mkdtemp(path.join(os.tmpdir(), 'fsllm-emu-fam-'));
});

families.after(async (ctx) => {
  if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true });
});

for (const family of ['gpt2', 'llama', 'qwen2', 'gguf'] as const) {
  families(`should equal the full model when nothing is dropped :: ${family}`, async ({ tmp }) => {
    const dir = path.join(tmp, family);
    await buildEmulator(FIXTURES[family], fedbiot(2, 1, 0), dir);
    assert.ok(maxAbsDiff(await logitsAt(dir, loadEmulator), await logitsAt(FIXTURES[family])) <= 1e-5);
  });
}

families('should carry a GGUF tokenizer as a tensor-less tokenizer.gguf', async ({ tmp }) => {
  const manifest = JSON.parse(await readFile(path.join(tmp, 'gguf', 'emulator.json'), 'utf8'));
  assert.is(manifest.tokenizer, 'tokenizer.gguf');
  assert.ok((await stat(path.join(tmp, 'gguf', 'tokenizer.gguf'))).size < 16_384);
  const [emu, full] = [await loadEmulator(path.join(tmp, 'gguf')), await Model.load(FIXTURES.gguf)];
  try {
    assert.ok(emu.tokenizer !== null);
    for (const text of ['hello world', STORY]) assert.equal(emu.tokenizer!.encode(text), full.tokenizer!.encode(text));
    assert.is(emu.tokenizer!.eosId, full.tokenizer!.eosId);
  } finally {
    await emu.dispose();
    await full.dispose();
  }
});

families('should write the sharded qwen2 source as one file and hash every source file', async ({ tmp }) => {
  const manifest = JSON.parse(await readFile(path.join(tmp, 'qwen2', 'emulator.json'), 'utf8'));
  assert.is(manifest.source, 'model');
  assert.equal(manifest.sourceFiles.map((f: { name: string }) => f.name), [
    'config.json', 'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors',
  ]);
  const lines = manifest.sourceFiles.map((f: { name: string; sha256: string }) => `${f.sha256}  ${f.name}\n`).join('');
  assert.is(manifest.sourceSha256, createHash('sha256').update(lines).digest('hex'));
  assert.ok(manifest.files.includes('generation_config.json'));
});

for (const [what, plan, layout] of [
  ['fedbiot s 1, beta 0.5', fedbiot(4, 1, 0.5), [0, 3]],
  ['fedot emu 1..3, beta 0.5', planEmulator({ algorithm: 'fedot', numLayers: 4, emuL: 1, emuR: 3, dropRate: 0.5 }), [0, 1, 3]],
] as [string, EmulatorPlan, number[]][]) {
  families(`should keep GPT-2 Conv1D blocks in their stored layout :: ${what}`, async ({ tmp }) => {
    const four = await fourBlockGpt2(path.join(tmp, 'gpt2-4'));
    assert.equal(plan.layout, layout);
    const dir = path.join(tmp, `gpt2-4-${plan.algorithm}`);
    await buildEmulator(four, plan, dir);
    const reference = await referenceFolder(four, layout, path.join(tmp, `gpt2-4-ref-${plan.algorithm}`));
    const ours = await logitsAt(dir);
    assert.ok(maxAbsDiff(ours, await logitsAt(reference)) <= 1e-5);
    assert.ok(maxAbsDiff(ours, await logitsAt(four)) > 1e-3);
  });
}

families.run();

// ---

const rules = suite<{ tmp: string }>('buildEmulator :: arguments and folders');

rules.before(async (ctx) => {
  ctx.tmp = await mkdtemp(path.join(os.tmpdir(), 'fsllm-emu-rules-'));
});

rules.after(async (ctx) => {
  if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true });
});

rules('should refuse a plan for another layer count', async ({ tmp }) => {
  await expectError(() => buildEmulator(STORIES_BIN, fedbiot(6, 1, 0.5), path.join(tmp, 'x')), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /5 \(the layer count of stories260K\.bin\) for plan\.numLayers/);
});

rules('should refuse an inconsistent plan', async ({ tmp }) => {
  const plan = { ...fedbiot(5, 1, 0.5), layout: [0, 1, 4] };
  await expectError(() => buildEmulator(STORIES_BIN, plan, path.join(tmp, 'x')), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /plan\.layout holds a dropped block/);
});

rules("should refuse the source model's own folder and a folder of other files", async ({ tmp }) => {
  await expectError(() => buildEmulator(FIXTURES.llama, fedbiot(2, 1, 0), FIXTURES.llama), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /a folder other than the source model's for outDir/);
  const busy = path.join(tmp, 'busy');
  await buildEmulator(FIXTURES.llama, fedbiot(2, 1, 0), busy);
  await writeFile(path.join(busy, 'notes.txt'), 'mine');
  await expectError(() => buildEmulator(FIXTURES.llama, fedbiot(2, 1, 0), busy), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /it holds notes\.txt/);
});

rules('should rebuild over an earlier build, dropping its stale files', async ({ tmp }) => {
  const dir = path.join(tmp, 'again');
  await buildEmulator(FIXTURES.gguf, fedbiot(2, 1, 0), dir);
  const info = await buildEmulator(STORIES_BIN, fedbiot(5, 1, 0.5), dir);
  assert.equal((await readdir(dir)).sort(), ['config.json', 'emulator.json', 'model.safetensors', 'tok512.bin']);
  assert.is(info.manifest.sourceFormat, 'llama2c');
});

rules('should report a missing source as a checkpoint error', async ({ tmp }) => {
  await expectError(() => buildEmulator(path.join(tmp, 'nope.bin'), fedbiot(5, 1, 0.5), path.join(tmp, 'y')), CheckpointError, 'ERR_FSLLM_CHECKPOINT', /does not exist/);
});

rules.run();
