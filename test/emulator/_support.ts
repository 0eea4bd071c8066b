// Shared fixtures and assertions of the offsite tests (no suites here). Imports lib modules directly,
// not lib/index.ts, so these tests do not depend on unrelated modules.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import * as assert from 'uvu/assert';

import { readSafetensors, writeSafetensors, type SafetensorsTensor } from '../../lib/formats/index.js';
import type { RawBatch } from '../../lib/native/binding.js';
import type { Model } from '../../lib/native/Model.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { REPO } from '../helpers/paths.js';

/** Family fixtures: tiny HF folders (2 blocks; qwen2 is sharded), the stories260K HF twin (5 blocks) and a GGUF. */
export const FIXTURES = {
  gpt2: path.join(REPO, 'test/fixtures/golden/gpt2/model'),
  llama: path.join(REPO, 'test/fixtures/golden/llama/model'),
  qwen2: path.join(REPO, 'test/fixtures/golden/qwen2/model'),
  storiesHf: path.join(REPO, 'test/fixtures/golden/stories260k/hf'),
  gguf: path.join(REPO, 'test/fixtures/formats/tiny-llama.gguf'),
};

export { expectError } from '../native/_support.js';

/** Largest |a[i] - b[i]|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'lengths differ');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Two seeded rows of 12 tokens in [3, vocab). */
export function probeBatch(vocab: number): RawBatch {
  return batchOf(randomRows(7, 2, 12, vocab));
}

/** Logits of `model` on the probe batch. */
export async function probeLogits(model: Model): Promise<Float32Array> {
  return model.logits(probeBatch(model.config.vocabSize));
}

const BLOCK = /^(model\.layers|transformer\.h|h)\.(\d+)\.(.+)$/;

/**
 * An HF folder holding blocks `layout` of the HF folder `src`, made independently of lib/emulator: the
 * stored tensors are copied byte for byte (no decoding) and the config's layer count edited.
 */
export async function referenceFolder(src: string, layout: number[], dest: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  const config = JSON.parse(await readFile(path.join(src, 'config.json'), 'utf8')) as Record<string, unknown>;
  config[config['model_type'] === 'gpt2' ? 'n_layer' : 'num_hidden_layers'] = layout.length;
  await writeFile(path.join(dest, 'config.json'), JSON.stringify(config));
  const out: SafetensorsTensor[] = [];
  for (const t of (await readSafetensors(path.join(src, 'model.safetensors'))).tensors) {
    const m = BLOCK.exec(t.name);
    if (m === null) out.push(t);
    else if (layout.includes(Number(m[2]))) out.push({ ...t, name: `${m[1]}.${layout.indexOf(Number(m[2]))}.${m[3]}` });
  }
  await writeSafetensors(path.join(dest, 'model.safetensors'), out);
  return dest;
}

/**
 * A 4-block GPT-2 HF folder: the 2-block fixture's blocks, then the same blocks scaled by 0.9 and 1.1
 * (distinct, so a wrong block shows in the logits). Stored in the fixture's own layout (Conv1D [in, out]).
 */
export async function fourBlockGpt2(dest: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  const config = JSON.parse(await readFile(path.join(FIXTURES.gpt2, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(dest, 'config.json'), JSON.stringify({ ...config, n_layer: 4 }));
  const out: SafetensorsTensor[] = [];
  for (const t of (await readSafetensors(path.join(FIXTURES.gpt2, 'model.safetensors'))).tensors) {
    out.push(t);
    const m = BLOCK.exec(t.name);
    if (m === null) continue;
    const scale = m[2] === '0' ? 0.9 : 1.1;
    const data = Float32Array.from(t.data as Float32Array, (v) => v * scale);
    out.push({ ...t, name: `${m[1]}.${Number(m[2]) + 2}.${m[3]}`, data });
  }
  await writeSafetensors(path.join(dest, 'model.safetensors'), out);
  return dest;
}
