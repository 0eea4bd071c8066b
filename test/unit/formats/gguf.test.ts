import fs from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { ggufToCheckpoint, ggufTokenizer, readGguf, readGgufCheckpoint, readSafetensorsHeader } from '../../../lib/formats/index.js';
import type { GgufFile } from '../../../lib/formats/index.js';
import { FIXTURES, tempDir } from './_support.js';
import { fails } from '../../helpers/errors.js';

const TINY = path.join(FIXTURES, 'tiny-llama.gguf');

// ---

const reader = suite<{ gguf: GgufFile }>('readGguf');
reader.before(async (ctx) => { ctx.gguf = await readGguf(TINY); });

reader('should read the header and honour general.alignment', ({ gguf }) => {
  assert.is(gguf.version, 3);
  assert.is(gguf.alignment, 64);
  assert.is(gguf.dataOffset % 64, 0);
  assert.is(gguf.tensors.length, 21);
});

reader('should decode every metadata value type', ({ gguf }) => {
  const m = gguf.metadata;
  const scalars = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'u64', 'i64', 'f64'].map((k) => m.get(`fsllm.test.${k}`));
  assert.equal(scalars, [200, -100, 60000, -30000, 4000000000, -2000000000, 0.5, true, 'h\u00e9llo', 2n ** 63n + 1n, -(2 ** 40), 1e-300]);
  assert.equal(m.get('fsllm.test.i16s'), new Int16Array([1, -2, 3]));
  assert.equal(m.get('fsllm.test.bools'), [true, false]);
  assert.equal(m.get('fsllm.test.nested'), [['a', 'b'], ['c']]);
  assert.is(m.get('llama.attention.layer_norm_rms_epsilon'), 1e-5); // f32, shown at its shortest
});

reader('should list tensors row-major with types and byte sizes', ({ gguf }) => {
  const byName = new Map(gguf.tensors.map((t) => [t.name, t]));
  const expect: [string, string, number[], number][] = [
    ['token_embd.weight', 'F32', [128, 64], 128 * 64 * 4],
    ['output.weight', 'Q8_0', [128, 64], 128 * 2 * 34],
    ['blk.0.attn_k.weight', 'Q4_0', [32, 64], 32 * 2 * 18],
    ['blk.0.attn_v.weight', 'Q4_1', [32, 64], 32 * 2 * 20],
    ['blk.0.attn_output.weight', 'F16', [64, 64], 64 * 64 * 2],
    ['blk.0.ffn_down.weight', 'BF16', [64, 128], 64 * 128 * 2],
    ['blk.1.attn_norm.weight', 'F32', [64], 256],
  ];
  for (const [name, type, shape, bytes] of expect) {
    const t = byName.get(name);
    assert.equal([t?.typeName, t?.shape, t?.byteLength], [type, shape, bytes], name);
    assert.is((t!.offset - gguf.dataOffset) % 64, 0, `${name} aligned`);
  }
});

reader.run();

// ---

const checkpoint = suite<{ gguf: GgufFile; dir: string }>('ggufToCheckpoint');
checkpoint.before(async (ctx) => {
  ctx.gguf = await readGguf(TINY);
  ctx.dir = await tempDir();
});
checkpoint.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

checkpoint('should map llama.* metadata to the config', async () => {
  const ckpt = await readGgufCheckpoint(TINY);
  assert.is(ckpt.format, 'gguf');
  assert.equal(ckpt.config, {
    family: 'llama', vocabSize: 128, hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 2,
    headDim: 16, maxPositions: 256, normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, attentionBias: false,
    tieWordEmbeddings: false, activation: 'silu', bosTokenId: 1, eosTokenId: 2,
  });
  assert.is(ckpt.tokenizerPath, TINY);
});

checkpoint('should name tensors as Hugging Face does, matching the expected file', async ({ gguf }) => {
  const ckpt = ggufToCheckpoint(gguf);
  const expected = await readSafetensorsHeader(path.join(FIXTURES, 'tiny-llama.expected.safetensors'));
  const shapes = new Map(expected.tensors.map((t) => [t.name, t.shape]));
  assert.equal(ckpt.tensors.map((t) => t.name).sort(), [...shapes.keys()].sort());
  for (const t of ckpt.tensors) assert.equal(t.shape, shapes.get(t.name), t.name);
});

checkpoint('should mark q with head_count heads and k with head_count_kv heads for unpermuting', ({ gguf }) => {
  const ckpt = ggufToCheckpoint(gguf);
  const transforms = Object.fromEntries(ckpt.tensors.filter((t) => t.transform).map((t) => [t.name, t.transform]));
  assert.equal(transforms, {
    'model.layers.0.self_attn.q_proj.weight': { kind: 'unpermuteRope', heads: 4 },
    'model.layers.0.self_attn.k_proj.weight': { kind: 'unpermuteRope', heads: 2 },
    'model.layers.1.self_attn.q_proj.weight': { kind: 'unpermuteRope', heads: 4 },
    'model.layers.1.self_attn.k_proj.weight': { kind: 'unpermuteRope', heads: 2 },
  });
  assert.equal([...new Set(ckpt.tensors.map((t) => t.dtype))].sort(), ['bf16', 'f16', 'f32', 'q4_0', 'q4_1', 'q8_0']);
});

checkpoint('should tie the embeddings when output.weight is absent', ({ gguf }) => {
  const ckpt = ggufToCheckpoint({ ...gguf, tensors: gguf.tensors.filter((t) => t.name !== 'output.weight') });
  assert.ok(ckpt.config.tieWordEmbeddings);
  assert.not.ok(ckpt.tensors.some((t) => t.name === 'lm_head.weight'));
});

checkpoint('should reject another architecture with the supported list', async ({ gguf }) => {
  const metadata = new Map(gguf.metadata).set('general.architecture', 'qwen2');
  await fails(async () => ggufToCheckpoint({ ...gguf, metadata }), 'ERR_FSLLM_CHECKPOINT', /^tiny-llama\.gguf: general\.architecture is "qwen2", which fsllm does not support; supported: llama$/);
});

checkpoint('should reject an undecodable tensor type naming it', async () => {
  await fails(
    () => readGgufCheckpoint(path.join(FIXTURES, 'unsupported-type.gguf')),
    'ERR_FSLLM_CHECKPOINT',
    /^unsupported-type\.gguf: tensor token_embd\.weight is stored as Q5_0, which fsllm cannot decode; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1/,
  );
});

checkpoint('should reject a bad magic', async ({ dir }) => {
  const file = path.join(dir, 'bad-magic.gguf');
  const bytes = await fs.readFile(TINY);
  bytes.write('GGML', 0, 'latin1');
  await fs.writeFile(file, bytes);
  const e = await fails(() => readGgufCheckpoint(file), 'ERR_FSLLM_CHECKPOINT', /^bad-magic\.gguf: bad magic: this is not a GGUF file/);
  assert.is(e.path, file);
});

checkpoint('should reject version 1', async ({ dir }) => {
  const file = path.join(dir, 'v1.gguf');
  const bytes = await fs.readFile(TINY);
  bytes.writeUInt32LE(1, 4);
  await fs.writeFile(file, bytes);
  await fails(() => readGguf(file), 'ERR_FSLLM_CHECKPOINT', /^v1\.gguf: GGUF version 1 is not supported; GGUF v1 is obsolete/);
});

for (const [variant, keep, message] of [
  ['in the header', 3000, /the GGUF header runs past the end of the file \(3000 bytes\) at metadata key "[\w.]+"; it is truncated or corrupt/],
  ['in the data', 100000, /tensor blk\.\S+ ends at byte \d+ but the file has 100000 bytes; it is truncated/],
] as const) {
  checkpoint(`should reject a truncated file :: ${variant}`, async ({ dir }) => {
    const file = path.join(dir, 'cut.gguf');
    await fs.writeFile(file, (await fs.readFile(TINY)).subarray(0, keep));
    await fails(() => readGguf(file), 'ERR_FSLLM_CHECKPOINT', message);
  });
}

checkpoint.run();

// ---

const tokenizer = suite<{ gguf: GgufFile }>('ggufTokenizer');
tokenizer.before(async (ctx) => { ctx.gguf = await readGguf(TINY); });

tokenizer('should return tokens, scores, types and special ids', ({ gguf }) => {
  const t = ggufTokenizer(gguf);
  assert.equal(t.tokens.slice(0, 4), ['<unk>', '<s>', '</s>', '<0x00>']);
  assert.is(t.tokens.length, 128);
  assert.instance(t.scores, Float32Array);
  assert.is(t.scores?.[5], -5);
  assert.equal(Array.from(t.tokenTypes ?? []).slice(0, 4), [2, 3, 3, 6]);
  assert.equal(
    [t.model, t.merges, t.bosTokenId, t.eosTokenId, t.addBosToken, t.addEosToken, t.chatTemplate, t.unknownTokenId],
    ['llama', null, 1, 2, true, null, '{{ messages }}', null],
  );
});

tokenizer('should reject a file without tokens', async ({ gguf }) => {
  const metadata = new Map(gguf.metadata);
  metadata.delete('tokenizer.ggml.tokens');
  await fails(async () => ggufTokenizer({ ...gguf, metadata }), 'ERR_FSLLM_CHECKPOINT', /has no tokenizer/);
});

tokenizer.run();
