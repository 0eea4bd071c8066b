import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HfTokenizer, Llama2cTokenizer, loadTokenizer } from '../../../lib/tokenizer/index.js';
import { when } from '../../helpers/requirements.js';
import { HF_GPT2_DIR, HF_LLAMA_DIR, LLAMA_DIR, LLAMA_VOCAB, STORIES_DIR, TOK512_BIN } from './fixtures.js';

type Ctx = { dir: string };
const load = suite<Ctx>('loadTokenizer');
load.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'fsllm-tokenizer-'));
});
load.after(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});

load('should read a llama2.c file', async () => {
  const tok = await loadTokenizer(TOK512_BIN);
  assert.instance(tok, Llama2cTokenizer);
  assert.is(tok.vocabSize, 512);
});
load('should read a tokenizer.json file', async () => {
  const tok = await loadTokenizer(join(HF_LLAMA_DIR, 'tokenizer.json'));
  assert.instance(tok, HfTokenizer);
  assert.is(tok.bosId, 1);
});
when(LLAMA_VOCAB, load)('should pick tokenizer.bin in a folder :: llama2-sentencepiece (beside tokenizer.model)', async () => {
  const tok = await loadTokenizer(LLAMA_DIR);
  assert.is(tok.kind, 'llama2c');
  assert.is(tok.vocabSize, 32000);
});
load('should pick tok*.bin in a folder :: stories260K (beside the model .bin)', async () => {
  const tok = await loadTokenizer(STORIES_DIR);
  assert.is(tok.kind, 'llama2c');
  assert.is(tok.vocabSize, 512);
});
load('should pick tokenizer.json in a folder :: gpt2', async () => {
  const tok = await loadTokenizer(HF_GPT2_DIR);
  assert.is(tok.kind, 'hf');
  assert.is(tok.vocabSize, 50257);
});
load('should prefer tokenizer.json over tokenizer.bin', async ({ dir }) => {
  const both = join(dir, 'both');
  await mkdir(both);
  await copyFile(TOK512_BIN, join(both, 'tokenizer.bin'));
  await copyFile(join(HF_GPT2_DIR, 'tokenizer.json'), join(both, 'tokenizer.json'));
  assert.is((await loadTokenizer(both)).kind, 'hf');
});
load('should recognise tokenizer.json content under another name', async ({ dir }) => {
  const file = join(dir, 'gpt2-tokenizer');
  await copyFile(join(HF_GPT2_DIR, 'tokenizer.json'), file);
  const tok = await loadTokenizer(file);
  assert.is(tok.kind, 'hf');
  // Without tokenizer_config.json beside it there is no BOS/EOS information.
  assert.is(tok.bosId, null);
  assert.equal(tok.encode('Hello world'), [15496, 995]);
});
load.run();
