import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ERR_FSLLM_TOKENIZER, loadTokenizer, tokenizerError } from '../../../lib/tokenizer/index.js';
import { when } from '../../helpers/requirements.js';
import { HF_GPT2_DIR, LLAMA_DIR, LLAMA_VOCAB, TOK512_BIN } from './fixtures.js';
import { fails } from '../../helpers/errors.js';

/** `fn` must throw or reject with a coded tokenizer error whose message matches `re`. */
const rejectsWith = (fn: () => unknown, re: RegExp) => fails(fn, ERR_FSLLM_TOKENIZER, re);

const helper = suite('tokenizerError');
helper('should carry the code and the cause', () => {
  const cause = new Error('inner');
  const err = tokenizerError('x.bin: bad', cause);
  assert.instance(err, Error);
  assert.is(err.code, 'ERR_FSLLM_TOKENIZER');
  assert.is(err.message, 'x.bin: bad');
  assert.is(err.cause, cause);
});
helper.run();

// ---

type Ctx = { dir: string; tok512: Buffer };
const load = suite<Ctx>('loadTokenizer :: errors');
load.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'fsllm-tokenizer-'));
  ctx.tok512 = await readFile(TOK512_BIN);
});
load.after(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});

/** Writes `bytes` to a file in the suite's temp folder and returns its path. */
async function put(ctx: Ctx, name: string, bytes: Uint8Array | string): Promise<string> {
  const file = join(ctx.dir, name);
  await writeFile(file, bytes);
  return file;
}

load('should reject a missing file', async () => {
  const file = join(tmpdir(), 'fsllm-no-such-dir', 'tok.bin');
  await rejectsWith(() => loadTokenizer(file), /fsllm-no-such-dir.*tok\.bin: no such file or directory; expected a tokenizer\.json/);
});
load('should reject an empty file', async (ctx) => {
  const file = await put(ctx, 'empty.bin', new Uint8Array(0));
  await rejectsWith(() => loadTokenizer(file), /empty\.bin: file is empty; a llama2\.c tokenizer is int32 max_token_length/);
});
load('should reject a file shorter than the header', async (ctx) => {
  const file = await put(ctx, 'short.bin', new Uint8Array([7, 0]));
  await rejectsWith(() => loadTokenizer(file), /short\.bin: 2 bytes is too short for the header/);
});
load('should reject a file truncated inside a token', async (ctx) => {
  // tok512.bin: header (4) + token 0 "<unk>" (8 + 5) ends at 17; token 1 "\n<s>\n" declares 5 bytes.
  const file = await put(ctx, 'cut-bytes.bin', ctx.tok512.subarray(0, 17 + 8 + 2));
  await rejectsWith(
    () => loadTokenizer(file),
    /cut-bytes\.bin: token 1 declares 5 bytes but only 2 remain; the file is truncated or not a llama2\.c tokenizer$/,
  );
});
load('should reject a file truncated inside a token header', async (ctx) => {
  const file = await put(ctx, 'cut-header.bin', ctx.tok512.subarray(0, 17 + 3));
  await rejectsWith(() => loadTokenizer(file), /cut-header\.bin: token 1 needs an 8-byte score\/length header but only 3 bytes remain/);
});
load('should reject a file truncated halfway', async (ctx) => {
  const file = await put(ctx, 'half.bin', ctx.tok512.subarray(0, ctx.tok512.length >> 1));
  await rejectsWith(() => loadTokenizer(file), /half\.bin: token \d+ (declares \d+ bytes but only \d+ remain|needs an 8-byte)/);
});
load('should reject a file that is not a llama2.c tokenizer', async (ctx) => {
  const file = await put(ctx, 'model.bin', 'PK\u0003\u0004 some other format');
  await rejectsWith(() => loadTokenizer(file), /model\.bin: header declares max_token_length \d+; not a llama2\.c tokenizer/);
});
load('should reject a vocabulary without BOS and EOS', async (ctx) => {
  const file = await put(ctx, 'one.bin', ctx.tok512.subarray(0, 17));
  await rejectsWith(() => loadTokenizer(file), /one\.bin: holds 1 tokens; a llama2\.c vocabulary starts with <unk>, BOS and EOS/);
});
when(LLAMA_VOCAB, load)('should point a SentencePiece .model file to the supported formats', async () => {
  await rejectsWith(() => loadTokenizer(join(LLAMA_DIR, 'tokenizer.model')), /tokenizer\.model: SentencePiece \.model files are not read directly/);
});
load('should reject a tokenizer.json that is not JSON', async (ctx) => {
  const file = await put(ctx, 'tokenizer.json', '{"model": ');
  await rejectsWith(() => loadTokenizer(file), /tokenizer\.json: is not valid JSON/);
});
load('should reject JSON without a model', async (ctx) => {
  const file = await put(ctx, 'other.json', '{"name": "x"}');
  await rejectsWith(() => loadTokenizer(file), /other\.json: has no "model" object; not a Hugging Face tokenizer\.json/);
});
load('should reject a tokenizer.json the HF library cannot build', async (ctx) => {
  const file = await put(ctx, 'odd.json', '{"model": {"type": "NoSuchModel"}}');
  await rejectsWith(() => loadTokenizer(file), /odd\.json: not a usable Hugging Face tokenizer\.json \(/);
});
load('should name the errno when a path cannot be read', async (ctx) => {
  await rejectsWith(() => loadTokenizer(join(TOK512_BIN, 'inside')), /tok512\.bin.inside: cannot be read \(ENOTDIR\)/);
  const dir = join(ctx.dir, 'config-is-a-folder');
  await mkdir(join(dir, 'tokenizer_config.json'), { recursive: true });
  await writeFile(join(dir, 'tokenizer.json'), await readFile(join(HF_GPT2_DIR, 'tokenizer.json')));
  await rejectsWith(() => loadTokenizer(dir), /tokenizer_config\.json: cannot be read \(EISDIR\)/);
});
load('should reject a folder without a tokenizer', async (ctx) => {
  const dir = join(ctx.dir, 'empty-folder');
  await mkdir(dir);
  await rejectsWith(() => loadTokenizer(dir), /empty-folder: folder has no tokenizer\.json, tokenizer\.bin or tok\*\.bin/);
});
load('should reject a malformed tokenizer_config.json beside tokenizer.json', async (ctx) => {
  const dir = join(ctx.dir, 'bad-config');
  await mkdir(dir);
  await writeFile(join(dir, 'tokenizer.json'), await readFile(join(HF_GPT2_DIR, 'tokenizer.json')));
  await writeFile(join(dir, 'tokenizer_config.json'), '[1, 2');
  await rejectsWith(() => loadTokenizer(dir), /tokenizer_config\.json: is not valid JSON/);
});
load.run();

// ---

const ids = suite('Tokenizer.decode :: invalid ids');
ids('should reject out-of-range and non-integer ids :: llama2c', async () => {
  const tok = await loadTokenizer(TOK512_BIN);
  await rejectsWith(() => tok.decode([1, 512]), /^Expected integer between 0 and 511 for token id but received 512 of type number$/);
  await rejectsWith(() => tok.decode([-1]), /received -1 of type number/);
  await rejectsWith(() => tok.createStreamDecoder().push(1.5), /received 1\.5 of type number/);
});
ids('should reject out-of-range ids :: hf', async () => {
  const tok = await loadTokenizer(HF_GPT2_DIR);
  await rejectsWith(() => tok.decode([50257]), /^Expected integer between 0 and 50256 for token id but received 50257/);
  await rejectsWith(() => tok.createStreamDecoder().push(-3), /received -3 of type number/);
});
ids.run();
