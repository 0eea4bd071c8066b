import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { binding, Model, openCheckpoint, type Checkpoint } from '../../lib/index.js';
import { readSafetensors, writeSafetensors, type SafetensorsTensor } from '../../lib/formats/index.js';
import { batchOf, randomRows } from '../helpers/batches.js';
import { REPO } from '../helpers/paths.js';
import { assertClose, assertSame } from './_support.js';

const GGUF = path.join(REPO, 'test/fixtures/formats/tiny-llama.gguf');
const EXPECTED = path.join(REPO, 'test/fixtures/formats/tiny-llama.expected.safetensors');

interface Ctx {
  checkpoint: Checkpoint;
  expected: SafetensorsTensor[];
  dir: string;
}

/** The Hugging Face config.json of a LLaMA ModelConfig (the inverse of lib/formats/hfConfig.ts). */
function hfConfigJson(c: Checkpoint['config']): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    max_position_embeddings: c.maxPositions,
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tieWordEmbeddings,
    hidden_act: 'silu',
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    torch_dtype: 'float32',
  };
}

// ---

const gguf = suite<Ctx>('GGUF checkpoint through the native loader');

gguf.before(async (ctx) => {
  ctx.checkpoint = await openCheckpoint(GGUF);
  ctx.expected = (await readSafetensors(EXPECTED)).tensors;
  ctx.dir = await mkdtemp(path.join(os.tmpdir(), 'fsllm-gguf-'));
});

gguf.after(async (ctx) => {
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

gguf('the fixture should cover every block format and the RoPE unpermute', ({ checkpoint }) => {
  const dtypes = new Set(checkpoint.tensors.map((t) => t.dtype));
  for (const d of ['f32', 'f16', 'q8_0', 'q4_0', 'q4_1'] as const) assert.ok(dtypes.has(d), `no ${d} tensor`);
  assert.ok(checkpoint.tensors.some((t) => t.transform?.kind === 'unpermuteRope'));
});

gguf('readTensors should equal the dequantised reference values', async ({ checkpoint, expected }) => {
  const got = await binding().readTensors(checkpoint.tensors);
  assert.equal(Object.keys(got).sort(), expected.map((t) => t.name).sort());
  for (const t of expected) {
    assert.is(t.dtype, 'f32');
    const source = checkpoint.tensors.find((s) => s.name === t.name)!;
    assertClose(got[t.name]!, t.data as Float32Array, 1e-6, `${t.name} (${source.dtype})`);
  }
});

gguf('a model from the GGUF should give the logits of one from an HF folder of the same weights', async (ctx) => {
  const folder = path.join(ctx.dir, 'hf');
  await mkdir(folder);
  await writeSafetensors(path.join(folder, 'model.safetensors'), ctx.expected, { format: 'pt' });
  await writeFile(path.join(folder, 'config.json'), JSON.stringify(hfConfigJson(ctx.checkpoint.config), null, 2));
  const fromHf = await Model.load(folder);
  const { ropeScaling, ...config } = ctx.checkpoint.config;
  const raw = await binding().loadModel(ctx.checkpoint.config, ctx.checkpoint.tensors);
  try {
    assert.equal({ ...fromHf.config, ropeScaling }, { ...config, ropeScaling });
    assert.equal(raw.unexpectedKeys, []);
    const batch = batchOf(randomRows(5, 2, 12, ctx.checkpoint.config.vocabSize));
    const a = await raw.logits(batch);
    const b = await fromHf.logits(batch);
    assert.is(a.length, 2 * 12 * ctx.checkpoint.config.vocabSize);
    assertSame(a, b, 'logits');
  } finally {
    raw.dispose();
    await fromHf.dispose();
  }
});

// The GGUF carries its own tokenizer (tokenizer.ggml.*), which Model.load must read from it.
gguf('Model.load should open the GGUF with its embedded tokenizer', async () => {
  const model = await Model.load(GGUF);
  try {
    assert.ok(model.tokenizer);
    assert.is(model.tokenizer.vocabSize, model.config.vocabSize);
  } finally {
    await model.dispose();
  }
});

gguf.run();
