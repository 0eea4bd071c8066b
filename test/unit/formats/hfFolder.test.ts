import fs from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { modelConfigFromHf, readHfFolder, requiredTensorNames } from '../../../lib/formats/index.js';
import { GOLDEN, f32, llamaTensors, tempDir, writeHfFolder } from './_support.js';
import { fails } from '../../helpers/errors.js';

const LLAMA_CONFIG = {
  model_type: 'llama', vocab_size: 16, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2,
  num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 32, rms_norm_eps: 1e-5,
};

// ---

const golden = suite('readHfFolder :: golden fixtures');

for (const [model, expected] of [
  ['llama', { family: 'llama', numKvHeads: 2, headDim: 16, tieWordEmbeddings: false, attentionBias: false, ropeScaling: { type: 'linear', factor: 2 } }],
  ['qwen2', { family: 'llama', numKvHeads: 2, attentionBias: true, tieWordEmbeddings: true, ropeTheta: 1e6, normEps: 1e-6, ropeScaling: null }],
  ['gpt2', { family: 'gpt2', intermediateSize: 256, activation: 'gelu_new', tieWordEmbeddings: true, normEps: 1e-5, maxPositions: 64 }],
] as const) {
  const dir = path.join(GOLDEN, model, 'model');
  golden(`should read the ${model} folder`, async () => {
    const ckpt = await readHfFolder(dir);
    assert.is(ckpt.format, 'safetensors');
    for (const [key, value] of Object.entries(expected)) assert.equal(ckpt.config[key as keyof typeof ckpt.config], value, key);
    assert.equal(ckpt.config.vocabSize, 128);
    assert.equal(ckpt.config.numLayers, 2);
    const names = new Set(ckpt.tensors.map((t) => t.name));
    for (const name of requiredTensorNames(ckpt.config)) assert.ok(names.has(name), name);
    assert.is(names.size, ckpt.tensors.length);
    for (const t of ckpt.tensors) assert.ok(path.isAbsolute(t.file));
  });
}

golden('should resolve the sharded qwen2 index to three files', async () => {
  const dir = path.join(GOLDEN, 'qwen2', 'model');
  const ckpt = await readHfFolder(dir);
  assert.is(new Set(ckpt.tensors.map((t) => t.file)).size, 3);
  const q = ckpt.tensors.find((t) => t.name === 'model.layers.0.self_attn.q_proj.bias');
  assert.equal(q?.shape, [64]);
});

golden('should transpose exactly the four GPT-2 Conv1D weights', async () => {
  const dir = path.join(GOLDEN, 'gpt2', 'model');
  const ckpt = await readHfFolder(dir);
  const transposed = ckpt.tensors.filter((t) => t.transform?.kind === 'transpose').map((t) => t.name.replace(/^transformer\.h\.\d+\./, ''));
  assert.equal([...new Set(transposed)].sort(), ['attn.c_attn.weight', 'attn.c_proj.weight', 'mlp.c_fc.weight', 'mlp.c_proj.weight']);
  assert.is(transposed.length, 8);
  assert.equal(ckpt.tensors.find((t) => t.name === 'transformer.h.0.attn.c_attn.weight')?.shape, [64, 192]); // stored [in, out]
});

golden.run();

// ---

const folder = suite<{ dir: string }>('readHfFolder');
folder.before(async (ctx) => { ctx.dir = await tempDir(); });
folder.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

folder('should read a sharded index and keep each tensor in its shard', async ({ dir }) => {
  const model = path.join(dir, 'sharded');
  await writeHfFolder(model, LLAMA_CONFIG, llamaTensors({ layers: 2, dim: 8, ffn: 12, vocab: 16, kvDim: 4 }), 3);
  const ckpt = await readHfFolder(model);
  assert.is(ckpt.tensors.length, 21);
  assert.is(new Set(ckpt.tensors.map((t) => t.file)).size, 3);
  assert.is(ckpt.tokenizerPath, null);
  assert.equal(ckpt.config.headDim, 4);
});

folder('should normalise unprefixed GPT-2 keys and drop attention buffers', async ({ dir }) => {
  const model = path.join(dir, 'gpt2-unprefixed');
  const d = 8;
  const tensors = [f32('wte.weight', [16, d]), f32('wpe.weight', [8, d]), f32('ln_f.weight', [d]), f32('ln_f.bias', [d])];
  const parts: [string, number[]][] = [
    ['ln_1.weight', [d]], ['ln_1.bias', [d]], ['attn.c_attn.weight', [d, 3 * d]], ['attn.c_attn.bias', [3 * d]],
    ['attn.c_proj.weight', [d, d]], ['attn.c_proj.bias', [d]], ['ln_2.weight', [d]], ['ln_2.bias', [d]],
    ['mlp.c_fc.weight', [d, 4 * d]], ['mlp.c_fc.bias', [4 * d]], ['mlp.c_proj.weight', [4 * d, d]], ['mlp.c_proj.bias', [d]],
    ['attn.bias', [1, 1, 8, 8]], ['attn.masked_bias', []],
  ];
  for (const [name, shape] of parts) tensors.push(f32(`h.0.${name}`, shape));
  await writeHfFolder(model, { model_type: 'gpt2', vocab_size: 16, n_embd: d, n_layer: 1, n_head: 2, n_positions: 8 }, tensors);
  await fs.writeFile(path.join(model, 'tokenizer.json'), '{}');
  const ckpt = await readHfFolder(model);
  const names = ckpt.tensors.map((t) => t.name);
  assert.ok(names.every((n) => n.startsWith('transformer.')));
  assert.not.ok(names.some((n) => /\.attn\.(masked_)?bias$/.test(n)));
  assert.is(ckpt.tensors.length, 16);
  assert.equal(ckpt.tensors.find((t) => t.name === 'transformer.h.0.mlp.c_proj.weight')?.transform, { kind: 'transpose' });
  assert.is(ckpt.tensors.find((t) => t.name === 'transformer.h.0.mlp.c_proj.bias')?.transform, undefined);
  assert.is(ckpt.config.intermediateSize, 32);
  assert.is(ckpt.tokenizerPath, path.join(model, 'tokenizer.json'));
});

folder('should reject an index that names a tensor its shard lacks', async ({ dir }) => {
  const model = path.join(dir, 'bad-index');
  await writeHfFolder(model, LLAMA_CONFIG, llamaTensors({ layers: 2, dim: 8, ffn: 12, vocab: 16, kvDim: 4 }), 2);
  const index = path.join(model, 'model.safetensors.index.json');
  const json = JSON.parse(await fs.readFile(index, 'utf8'));
  json.weight_map['model.norm.weight'] = 'model-00002-of-00002.safetensors';
  json.weight_map['model.embed_tokens.weight'] = 'model-00002-of-00002.safetensors';
  await fs.writeFile(index, JSON.stringify(json));
  await fails(() => readHfFolder(model), 'ERR_FSLLM_CHECKPOINT', /^model\.safetensors\.index\.json: weight_map puts model\.(norm|embed_tokens)\.weight in model-00002-of-00002\.safetensors, which has no such tensor$/);
});

folder('should name missing tensors', async ({ dir }) => {
  const model = path.join(dir, 'missing');
  const tensors = llamaTensors({ layers: 2, dim: 8, ffn: 12, vocab: 16, kvDim: 4 }).filter((t) => !t.name.includes('layers.1.mlp'));
  await writeHfFolder(model, LLAMA_CONFIG, tensors);
  await fails(() => readHfFolder(model), 'ERR_FSLLM_CHECKPOINT', /^model\.safetensors: missing 3 tensor\(s\) the llama model needs: model\.layers\.1\.mlp\.gate_proj\.weight, /);
});

folder('should say what is missing in a folder without weights', async ({ dir }) => {
  const model = path.join(dir, 'no-weights');
  await fs.mkdir(model);
  await fs.writeFile(path.join(model, 'config.json'), JSON.stringify(LLAMA_CONFIG));
  await fs.writeFile(path.join(model, 'pytorch_model.bin'), 'PK');
  await fails(() => readHfFolder(model), 'ERR_FSLLM_CHECKPOINT', /^no-weights: has no model\.safetensors or model\.safetensors\.index\.json; pytorch_model\.bin \(pickle\) is not read/);
});

folder('should reject an unknown model_type naming the field and the supported list', async ({ dir }) => {
  const model = path.join(dir, 'bert');
  await writeHfFolder(model, { model_type: 'bert', hidden_size: 8 }, [f32('x', [1])]);
  const e = await fails(() => readHfFolder(model), 'ERR_FSLLM_CHECKPOINT', /^config\.json: field model_type is "bert", which fsllm does not support; supported: llama, mistral, qwen2, gpt2$/);
  assert.is(e.path, path.join(model, 'config.json'));
});

folder.run();

// ---

const config = suite('modelConfigFromHf');
const F = '/m/config.json';

config('should default num_key_value_heads, head_dim, rope and token ids for llama', () => {
  const c = modelConfigFromHf({ ...LLAMA_CONFIG, num_key_value_heads: undefined }, F);
  assert.equal(
    { numKvHeads: c.numKvHeads, headDim: c.headDim, ropeTheta: c.ropeTheta, ropeScaling: c.ropeScaling, tie: c.tieWordEmbeddings, bos: c.bosTokenId, eos: c.eosTokenId },
    { numKvHeads: 2, headDim: 4, ropeTheta: 10000, ropeScaling: null, tie: false, bos: 1, eos: 2 },
  );
});

config('should honour a head_dim override and a list of eos ids', () => {
  const c = modelConfigFromHf({ ...LLAMA_CONFIG, head_dim: 16, eos_token_id: [7, 8] }, F);
  assert.is(c.headDim, 16);
  assert.is(c.eosTokenId, 7);
});

const scalings: [string, unknown, unknown][] = [
  ['llama3 with rope_type', { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 }],
  ['linear with type', { type: 'linear', factor: 2 }, { type: 'linear', factor: 2 }],
  ['dynamic with type', { type: 'dynamic', factor: 4 }, { type: 'dynamic', factor: 4 }],
  ['default', { rope_type: 'default' }, null],
];
for (const [variant, raw, expected] of scalings) {
  config(`should read rope_scaling :: ${variant}`, () => {
    assert.equal(modelConfigFromHf({ ...LLAMA_CONFIG, rope_scaling: raw }, F).ropeScaling, expected);
  });
}

config('should read transformers v5 rope_parameters', () => {
  const c = modelConfigFromHf({ ...LLAMA_CONFIG, rope_parameters: { rope_type: 'linear', factor: 2, rope_theta: 500000 } }, F);
  assert.is(c.ropeTheta, 500000);
  assert.equal(c.ropeScaling, { type: 'linear', factor: 2 });
});

config('should map qwen2 and mistral to the llama family', () => {
  const qwen = modelConfigFromHf({ ...LLAMA_CONFIG, model_type: 'qwen2', tie_word_embeddings: true }, F);
  assert.equal([qwen.family, qwen.attentionBias, qwen.tieWordEmbeddings, qwen.bosTokenId], ['llama', true, true, null]);
  const mistral = modelConfigFromHf({ ...LLAMA_CONFIG, model_type: 'mistral', sliding_window: 4096 }, F);
  assert.equal([mistral.family, mistral.attentionBias, mistral.tieWordEmbeddings], ['llama', false, false]);
});

config('should map gpt2 fields and defaults', () => {
  const c = modelConfigFromHf({ model_type: 'gpt2', vocab_size: 50257, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null }, F);
  assert.equal(
    [c.family, c.intermediateSize, c.maxPositions, c.normEps, c.activation, c.tieWordEmbeddings, c.headDim, c.eosTokenId],
    ['gpt2', 3072, 1024, 1e-5, 'gelu_new', true, 64, 50256],
  );
  assert.is(modelConfigFromHf({ model_type: 'gpt2', vocab_size: 9, n_embd: 8, n_layer: 1, n_head: 2, n_inner: 20, activation_function: 'gelu' }, F).intermediateSize, 20);
});

const invalid: [string, object, RegExp][] = [
  ['missing size', { ...LLAMA_CONFIG, hidden_size: undefined }, /field hidden_size must be a positive integer; it is missing/],
  ['bad kv heads', { ...LLAMA_CONFIG, num_key_value_heads: 3 }, /field num_key_value_heads must be a divisor of num_attention_heads \(2\); got 3/],
  ['yarn', { ...LLAMA_CONFIG, rope_scaling: { rope_type: 'yarn', factor: 4 } }, /field rope_scaling\.rope_type must be one of default, linear, dynamic, llama3; got "yarn"/],
  ['activation', { ...LLAMA_CONFIG, hidden_act: 'gelu' }, /field hidden_act must be "silu"/],
  ['o_proj bias', { ...LLAMA_CONFIG, attention_bias: true }, /field attention_bias must be false/],
  ['gpt2 activation', { model_type: 'gpt2', vocab_size: 9, n_embd: 8, n_layer: 1, n_head: 2, activation_function: 'relu' }, /field activation_function must be one of gelu_new/],
  ['no model_type', { hidden_size: 8 }, /field model_type is undefined, which fsllm does not support/],
];
for (const [variant, json, message] of invalid) {
  config(`should reject :: ${variant}`, async () => {
    await fails(async () => modelConfigFromHf(json, F), 'ERR_FSLLM_CHECKPOINT', new RegExp(`^config\\.json: ${message.source}`));
  });
}

config.run();
