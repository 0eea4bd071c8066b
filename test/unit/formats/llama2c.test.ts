import fs from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { readHfFolder, readLlama2c } from '../../../lib/formats/index.js';
import type { Checkpoint } from '../../../lib/formats/index.js';
import { GOLDEN, STORIES, tempDir } from './_support.js';
import { fails } from '../../helpers/errors.js';

interface Dims { dim: number; hidden: number; layers: number; heads: number; kvHeads: number; vocab: number; seq: number; shared: boolean }

/**
 * Writes a llama2.c file in llama2.c export.py's array order, filling each array slice with a marker
 * `id * 100 + layer` so a test can check which slice a tensor source points at.
 */
async function writeLlama2c(file: string, version: 0 | 1, d: Dims): Promise<Map<string, number>> {
  const kv = (d.dim / d.heads) * d.kvHeads;
  const half = d.dim / d.heads / 2;
  const arrays: Record<string, [boolean, number, string | null]> = {
    tok: [false, d.vocab * d.dim, 'model.embed_tokens.weight'],
    rmsAtt: [true, d.dim, 'input_layernorm.weight'],
    wq: [true, d.dim * d.dim, 'self_attn.q_proj.weight'],
    wk: [true, kv * d.dim, 'self_attn.k_proj.weight'],
    wv: [true, kv * d.dim, 'self_attn.v_proj.weight'],
    wo: [true, d.dim * d.dim, 'self_attn.o_proj.weight'],
    rmsFfn: [true, d.dim, 'post_attention_layernorm.weight'],
    w1: [true, d.hidden * d.dim, 'mlp.gate_proj.weight'],
    w2: [true, d.dim * d.hidden, 'mlp.down_proj.weight'],
    w3: [true, d.hidden * d.dim, 'mlp.up_proj.weight'],
    rmsFinal: [false, d.dim, 'model.norm.weight'],
    freqReal: [false, d.seq * half, null],
    freqImag: [false, d.seq * half, null],
    wcls: [false, d.vocab * d.dim, 'lm_head.weight'],
  };
  const order = version === 0
    ? ['tok', 'rmsAtt', 'wq', 'wk', 'wv', 'wo', 'rmsFfn', 'w1', 'w2', 'w3', 'rmsFinal', 'freqReal', 'freqImag']
    : ['rmsAtt', 'rmsFfn', 'rmsFinal', 'tok', 'wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3'];
  if (!d.shared) order.push('wcls');

  const header = Buffer.alloc(version === 0 ? 28 : 256);
  const ints = [d.dim, d.hidden, d.layers, d.heads, d.kvHeads, version === 0 && !d.shared ? -d.vocab : d.vocab, d.seq];
  const first = version === 0 ? 0 : 8;
  if (version === 1) {
    header.writeUInt32LE(0x616b3432, 0);
    header.writeInt32LE(1, 4);
    header.writeUInt8(d.shared ? 1 : 0, 36);
  }
  ints.forEach((v, i) => header.writeInt32LE(v, first + 4 * i));

  const markers = new Map<string, number>();
  const chunks: Float32Array[] = [];
  order.forEach((key, id) => {
    const [perLayer, size, name] = arrays[key]!;
    for (let layer = 0; layer < (perLayer ? d.layers : 1); layer++) {
      const marker = id * 100 + layer;
      chunks.push(new Float32Array(size).fill(marker));
      if (name) markers.set(perLayer ? `model.layers.${layer}.${name}` : name, marker);
    }
  });
  await fs.writeFile(file, Buffer.concat([header, ...chunks.map((c) => Buffer.from(c.buffer))]));
  return markers;
}

async function firstFloats(ckpt: Checkpoint): Promise<Map<string, number>> {
  const bytes = await fs.readFile(ckpt.tensors[0]!.file);
  return new Map(ckpt.tensors.map((t) => [t.name, bytes.readFloatLE(t.offset)]));
}

const SMALL: Dims = { dim: 8, hidden: 12, layers: 2, heads: 2, kvHeads: 1, vocab: 10, seq: 6, shared: true };

// ---

const stories = suite('readLlama2c :: stories260K');

stories('should read the header into the config', async () => {
  const ckpt = await readLlama2c(STORIES);
  assert.is(ckpt.format, 'llama2c');
  assert.equal(ckpt.config, {
    family: 'llama', vocabSize: 512, hiddenSize: 64, intermediateSize: 172, numLayers: 5, numHeads: 8, numKvHeads: 4,
    headDim: 8, maxPositions: 512, normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, attentionBias: false,
    tieWordEmbeddings: true, activation: 'silu', bosTokenId: 1, eosTokenId: 2,
  });
  assert.is(ckpt.tokenizerPath, path.join(path.dirname(STORIES), 'tok512.bin'));
});

stories('should cover the whole file: header + tensors + RoPE tables', async () => {
  const ckpt = await readLlama2c(STORIES);
  const { size } = await fs.stat(STORIES);
  const ropeTables = 2 * 512 * 4 * 4; // freq_cis real and imag, [seq_len, head_dim / 2] fp32 each
  assert.is(28 + ckpt.tensors.reduce((n, t) => n + t.byteLength, 0) + ropeTables, size);
  assert.is(ckpt.tensors.length, 1 + 5 * 9 + 1);
  const sorted = [...ckpt.tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.offset >= sorted[i - 1]!.offset + sorted[i - 1]!.byteLength);
});

stories('should use the names and shapes of the golden Hugging Face conversion', async () => {
  const hf = path.join(GOLDEN, 'stories260k', 'hf');
  const [ours, golden] = [await readLlama2c(STORIES), await readHfFolder(hf)];
  const shapes = (c: Checkpoint) => Object.fromEntries(c.tensors.map((t) => [t.name, t.shape]));
  assert.equal(shapes(ours), shapes(golden));
  assert.equal(ours.config, golden.config);
});

stories('should mark wq with n_heads and wk with n_kv_heads for unpermuting', async () => {
  const ckpt = await readLlama2c(STORIES);
  const q = ckpt.tensors.find((t) => t.name === 'model.layers.3.self_attn.q_proj.weight');
  const k = ckpt.tensors.find((t) => t.name === 'model.layers.3.self_attn.k_proj.weight');
  assert.equal([q?.transform, q?.shape], [{ kind: 'unpermuteRope', heads: 8 }, [64, 64]]);
  assert.equal([k?.transform, k?.shape], [{ kind: 'unpermuteRope', heads: 4 }, [32, 64]]);
  assert.is(ckpt.tensors.filter((t) => t.transform).length, 10);
});

stories.run();

// ---

const layouts = suite<{ dir: string }>('readLlama2c');
layouts.before(async (ctx) => { ctx.dir = await tempDir(); });
layouts.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

for (const [variant, version, shared] of [['v0 shared', 0, true], ['v0 unshared (negative vocab)', 0, false], ['v1 shared', 1, true], ['v1 unshared', 1, false]] as const) {
  layouts(`should point every tensor at its slice :: ${variant}`, async ({ dir }) => {
    const file = path.join(dir, `${variant.replace(/\W+/g, '-')}.bin`);
    const markers = await writeLlama2c(file, version, { ...SMALL, shared });
    const ckpt = await readLlama2c(file);
    assert.is(ckpt.config.tieWordEmbeddings, shared);
    assert.is(ckpt.config.vocabSize, 10);
    assert.equal(Object.fromEntries(await firstFloats(ckpt)), Object.fromEntries(markers));
  });
}

layouts('should find tokenizer.bin beside the checkpoint', async ({ dir }) => {
  const file = path.join(dir, 'model.bin');
  await writeLlama2c(file, 0, SMALL);
  assert.is((await readLlama2c(file)).tokenizerPath, null);
  await fs.writeFile(path.join(dir, 'tokenizer.bin'), '');
  assert.is((await readLlama2c(file)).tokenizerPath, path.join(dir, 'tokenizer.bin'));
});

layouts('should reject a truncated file with the sizes in the message', async ({ dir }) => {
  const file = path.join(dir, 'stories260K.bin');
  await fs.writeFile(file, (await fs.readFile(STORIES)).subarray(0, 900000));
  await fails(
    () => readLlama2c(file),
    'ERR_FSLLM_CHECKPOINT',
    /^stories260K\.bin: header says 264128 floats \(1056540 bytes\) but the file has 900000 bytes; it is truncated or not a llama2\.c checkpoint$/,
  );
});

layouts('should reject a header that is not a llama2.c model', async ({ dir }) => {
  const file = path.join(dir, 'random.bin');
  await fs.writeFile(file, Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) % 256)));
  await fails(() => readLlama2c(file), 'ERR_FSLLM_CHECKPOINT', /^random\.bin: header \(dim .*\) is not a llama2\.c model/);
});

layouts('should reject version 2 (int8) files', async ({ dir }) => {
  const file = path.join(dir, 'q80.bin');
  const header = Buffer.alloc(256);
  header.writeUInt32LE(0x616b3432, 0);
  header.writeInt32LE(2, 4);
  await fs.writeFile(file, header);
  await fails(() => readLlama2c(file), 'ERR_FSLLM_CHECKPOINT', /^q80\.bin: llama2\.c version 2 is not supported/);
});

layouts.run();
