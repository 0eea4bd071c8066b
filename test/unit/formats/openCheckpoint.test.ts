import fs from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { openCheckpoint } from '../../../lib/formats/index.js';
import { FIXTURES, STORIES, llamaTensors, tempDir, writeHfFolder } from './_support.js';
import { fails } from '../../helpers/errors.js';

const open = suite<{ dir: string }>('openCheckpoint');
open.before(async (ctx) => { ctx.dir = await tempDir(); });
open.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

open('should be a function', () => {
  assert.type(openCheckpoint, 'function');
});

open('should detect each form by path :: folder, .gguf, .bin', async ({ dir }) => {
  const model = path.join(dir, 'hf');
  const config = { model_type: 'llama', vocab_size: 16, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2 };
  await writeHfFolder(model, config, llamaTensors({ layers: 1, dim: 8, ffn: 12, vocab: 16, kvDim: 8 }));
  assert.is((await openCheckpoint(model)).format, 'safetensors');
  assert.is((await openCheckpoint(path.join(FIXTURES, 'tiny-llama.gguf'))).format, 'gguf');
  assert.is((await openCheckpoint(STORIES)).format, 'llama2c');
});

open('should resolve relative paths and return absolute files', async () => {
  const relative = path.relative(process.cwd(), path.join(FIXTURES, 'tiny-llama.gguf'));
  const ckpt = await openCheckpoint(relative);
  assert.ok(ckpt.tensors.every((t) => path.isAbsolute(t.file)));
});

open('should read a GGUF saved with a .bin name by its magic', async ({ dir }) => {
  const file = path.join(dir, 'model.bin');
  await fs.copyFile(path.join(FIXTURES, 'tiny-llama.gguf'), file);
  assert.is((await openCheckpoint(file)).format, 'gguf');
});

open('should refuse a PyTorch zip checkpoint', async ({ dir }) => {
  const file = path.join(dir, 'pytorch_model.bin');
  await fs.writeFile(file, Buffer.from('PK\u0003\u0004rest of a zip', 'latin1'));
  await fails(() => openCheckpoint(file), 'ERR_FSLLM_CHECKPOINT', /^pytorch_model\.bin: is a PyTorch \(zip\/pickle\) checkpoint/);
});

const unsupported: [string, string, RegExp][] = [
  ['missing path', 'nope/none.gguf', /^none\.gguf: does not exist \(ENOENT\); expected a Hugging Face model folder/],
  ['folder without config.json', '.', /is a folder without config\.json; expected a Hugging Face model folder \(config\.json \+ model\.safetensors or model\.safetensors\.index\.json\), a LLaMA \.gguf file, or a llama2\.c \.bin checkpoint$/],
  ['bare .safetensors', 'x.safetensors', /^x\.safetensors: is of no supported form; .*; pass the folder that holds it and its config\.json$/],
  ['other extension', 'model.onnx', /^model\.onnx: is of no supported form; expected /],
];
for (const [variant, name, message] of unsupported) {
  open(`should list the supported forms :: ${variant}`, async ({ dir }) => {
    const target = path.join(dir, name);
    if (variant !== 'missing path' && variant !== 'folder without config.json') await fs.writeFile(target, 'data');
    await fails(() => openCheckpoint(target), 'ERR_FSLLM_CHECKPOINT', message);
  });
}

open('should refuse a non-string path', async () => {
  await fails(() => openCheckpoint(42 as unknown as string), 'ERR_FSLLM_INVALID_ARG', /^Expected a file or folder path for checkpointPath but received 42 of type number$/);
});

open.run();
