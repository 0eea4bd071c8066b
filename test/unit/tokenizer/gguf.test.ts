import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readGguf, type GgufFile, type GgufValue } from '../../../lib/formats/index.js';
import { ERR_FSLLM_TOKENIZER, HfTokenizer, loadTokenizer, tokenizerFromGguf } from '../../../lib/tokenizer/index.js';
import type { Tokenizer } from '../../../lib/tokenizer/index.js';
import { producedFile, when } from '../../helpers/requirements.js';
import { FIXTURES, label, readFixture } from './fixtures.js';
import type { HfFixture, SentencepieceFixture } from './fixtures.js';
import { fails } from '../../helpers/errors.js';

// Tokenizer-only GGUF files written by test/fixtures/gen/make_gguf_tokenizer_fixture.py from the
// original Llama SentencePiece model and GPT-2 encoder.json/vocab.bpe. Expected ids come from
// Python sentencepiece (llama-sentencepiece.json) and Rust HF tokenizers (gpt2-hf.json,
// gguf/bpe-pre.json), never from fsllm.
const GGUF_DIR = join(FIXTURES, 'gguf');
const LLAMA_GGUF = join(GGUF_DIR, 'llama-spm.gguf');
const GPT2_GGUF = join(GGUF_DIR, 'gpt2-bpe.gguf');
const SP = readFixture<SentencepieceFixture>('llama-sentencepiece.json');
const GPT2 = readFixture<HfFixture>('gpt2-hf.json');
const BPE_PRE = readFixture<Record<string, { text: string; ids: number[]; decoded: string }[]>>('gguf/bpe-pre.json');

/** A copy of `gguf` whose metadata has `changes` applied (`undefined` deletes the key). */
function withMeta(gguf: GgufFile, changes: Record<string, GgufValue | undefined>): GgufFile {
  const metadata = new Map(gguf.metadata);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) metadata.delete(key);
    else metadata.set(key, value);
  }
  return { ...gguf, metadata };
}

/** `fn` must throw or reject with a coded tokenizer error whose message matches `re`. */
const rejectsWith = (fn: () => unknown, re: RegExp) => fails(fn, ERR_FSLLM_TOKENIZER, re);

function streamed(tok: Tokenizer, ids: number[]): string {
  const d = tok.createStreamDecoder();
  return ids.map((id) => d.push(id)).join('') + d.flush();
}

type TokCtx = { tok: Tokenizer };

// ---

const llama = suite<TokCtx>('loadTokenizer :: GGUF "llama" (Llama 32k) vs sentencepiece');
llama.before(async (ctx) => {
  ctx.tok = await loadTokenizer(LLAMA_GGUF);
});
llama('should describe the vocabulary', ({ tok }) => {
  assert.is(tok.kind, 'llama2c');
  assert.is(tok.vocabSize, SP.vocabSize);
  assert.is(tok.bosId, SP.bosId);
  assert.is(tok.eosId, SP.eosId);
});
for (const c of SP.cases) {
  llama(`should match sentencepiece :: ${label(c.text)}`, ({ tok }) => {
    assert.equal(tok.encode(c.text, { addBos: false }), c.ids);
    assert.is(tok.decode(tok.encode(c.text)), c.decoded);
  });
}
for (const c of SP.decodeCases) {
  llama(`should decode like sentencepiece :: ${JSON.stringify(c.ids)}`, ({ tok }) => {
    assert.is(tok.decode(c.ids), c.decoded);
    assert.is(streamed(tok, c.ids), c.decoded);
  });
}
llama('should add BOS by add_bos_token and EOS only when asked', ({ tok }) => {
  assert.equal(tok.encode('Hello world'), [1, 15043, 3186]);
  assert.equal(tok.encode('Hello world', { addEos: true }), [1, 15043, 3186, 2]);
  assert.is(tok.decode([1, 9038, 2], { keepSpecial: true }), '<s> Once</s>');
});
llama.run();

// ---

const gpt2 = suite<TokCtx>('loadTokenizer :: GGUF "gpt2" (GPT-2) vs HF tokenizers');
gpt2.before(async (ctx) => {
  ctx.tok = await loadTokenizer(GPT2_GGUF);
});
gpt2('should describe the vocabulary', ({ tok }) => {
  assert.instance(tok, HfTokenizer);
  assert.is(tok.vocabSize, 50257);
  assert.is(tok.bosId, 50256);
  assert.is(tok.eosId, 50256);
});
for (const c of GPT2.cases) {
  gpt2(`should match HF :: ${label(c.text)}`, ({ tok }) => {
    assert.equal(tok.encode(c.text), c.idsWithSpecial);
    assert.equal(tok.encode(c.text, { addBos: false }), c.ids);
    assert.is(tok.decode(c.idsWithSpecial), c.decoded);
  });
}
gpt2.run();

// ---

type MetaCtx = { llama: GgufFile; gpt2: GgufFile };
const loadBoth = async (ctx: MetaCtx): Promise<void> => {
  ctx.llama = await readGguf(LLAMA_GGUF);
  ctx.gpt2 = await readGguf(GPT2_GGUF);
};

const pre = suite<MetaCtx>('tokenizerFromGguf :: tokenizer.ggml.pre vs HF tokenizers (GPT-2 vocabulary)');
pre.before(loadBoth);
for (const [name, cases] of Object.entries(BPE_PRE)) {
  pre(`should match HF :: ${name}`, async (ctx) => {
    const tok = await tokenizerFromGguf(withMeta(ctx.gpt2, { 'tokenizer.ggml.pre': name }));
    for (const c of cases) {
      assert.equal(tok.encode(c.text), c.ids, `${name} ${label(c.text)}`);
      assert.is(tok.decode(c.ids), c.decoded, `${name} ${label(c.text)}`);
    }
  });
}
pre.run();

// ---

const flags = suite<MetaCtx>('tokenizerFromGguf :: BOS/EOS from metadata');
flags.before(loadBoth);
flags('should follow add_bos_token / add_eos_token :: llama', async (ctx) => {
  const tok = await tokenizerFromGguf(withMeta(ctx.llama, { 'tokenizer.ggml.add_bos_token': false, 'tokenizer.ggml.add_eos_token': true }));
  assert.equal(tok.encode('Hello world'), [15043, 3186, 2]);
  assert.equal(tok.encode('Hello world', { addBos: true, addEos: false }), [1, 15043, 3186]);
});
flags('should default to BOS when add_bos_token is absent :: llama', async (ctx) => {
  const tok = await tokenizerFromGguf(withMeta(ctx.llama, { 'tokenizer.ggml.add_bos_token': undefined }));
  assert.equal(tok.encode('Hello world'), [1, 15043, 3186]);
});
flags('should follow add_bos_token / add_eos_token :: gpt2', async (ctx) => {
  const tok = await tokenizerFromGguf(withMeta(ctx.gpt2, { 'tokenizer.ggml.add_bos_token': true, 'tokenizer.ggml.add_eos_token': true }));
  assert.equal(tok.encode('Hello world'), [50256, 15496, 995, 50256]);
  assert.equal(tok.encode('Hello world', { addBos: false }), [15496, 995, 50256]);
  assert.is(tok.decode([50256, 15496, 995, 50256]), 'Hello world');
});
flags('should default to BOS for llama-bpe only', async (ctx) => {
  const base = withMeta(ctx.gpt2, { 'tokenizer.ggml.add_bos_token': undefined });
  const llama3 = await tokenizerFromGguf(withMeta(base, { 'tokenizer.ggml.pre': 'llama-bpe' }));
  assert.equal(llama3.encode('Hello'), [50256, 15496]);
  assert.equal((await tokenizerFromGguf(base)).encode('Hello'), [15496]);
});
flags('should read special ids from metadata, not fixed positions', async (ctx) => {
  const tok = await tokenizerFromGguf(withMeta(ctx.llama, { 'tokenizer.ggml.bos_token_id': 2, 'tokenizer.ggml.eos_token_id': 1 }));
  assert.equal([tok.bosId, tok.eosId], [2, 1]);
  assert.equal(tok.encode('Hello', { addEos: true }), [2, 15043, 1]);
});
flags.run();

// ---

type ErrCtx = MetaCtx & { dir: string };
const errors = suite<ErrCtx>('tokenizerFromGguf :: errors');
errors.before(async (ctx) => {
  await loadBoth(ctx);
  ctx.dir = await mkdtemp(join(tmpdir(), 'fsllm-gguf-tokenizer-'));
});
errors.after(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});
const ERROR_CASES: [string, 'llama' | 'gpt2', Record<string, GgufValue | undefined>, RegExp][] = [
  ['another model type', 'llama', { 'tokenizer.ggml.model': 'bert' }, /llama-spm\.gguf: tokenizer\.ggml\.model "bert" is not supported; fsllm reads "llama" \(SentencePiece BPE\) and "gpt2" \(byte-level BPE\)$/],
  ['an unsupported pre-tokenizer', 'gpt2', { 'tokenizer.ggml.pre': 'deepseek-llm' }, /gpt2-bpe\.gguf: tokenizer\.ggml\.pre "deepseek-llm" is not supported for byte-level BPE; fsllm reads "gpt-2", "smollm", "qwen2", "llama-bpe"$/],
  ['a missing pre-tokenizer', 'gpt2', { 'tokenizer.ggml.pre': undefined }, /tokenizer\.ggml\.pre "\(none\)" is not supported/],
  ['a prototype key as pre-tokenizer', 'gpt2', { 'tokenizer.ggml.pre': 'constructor' }, /tokenizer\.ggml\.pre "constructor" is not supported/],
  ['missing merges', 'gpt2', { 'tokenizer.ggml.merges': undefined }, /tokenizer\.ggml\.model is "gpt2" but tokenizer\.ggml\.merges is missing$/],
  ['missing scores', 'llama', { 'tokenizer.ggml.scores': undefined }, /tokenizer\.ggml\.model is "llama" but tokenizer\.ggml\.scores is missing/],
  ['no dummy prefix', 'llama', { 'tokenizer.ggml.add_space_prefix': false }, /tokenizer\.ggml\.add_space_prefix is false/],
  ['a BOS id past the vocabulary', 'gpt2', { 'tokenizer.ggml.bos_token_id': 50257 }, /tokenizer\.ggml\.bos_token_id 50257 is outside the 50257 tokens$/],
  ['missing tokens', 'llama', { 'tokenizer.ggml.tokens': undefined }, /llama-spm\.gguf: has no tokenizer \(metadata tokenizer\.ggml\.tokens is missing\)$/],
  ['too few scores', 'llama', { 'tokenizer.ggml.scores': new Float32Array(3) }, /metadata tokenizer\.ggml\.scores must have one number per token \(32000\)$/],
];
for (const [what, base, changes, re] of ERROR_CASES) {
  errors(`should reject :: ${what}`, async (ctx) => {
    await rejectsWith(() => tokenizerFromGguf(withMeta(ctx[base], changes)), re);
  });
}
errors('should reject a byte token not spelled <0xXX>', async (ctx) => {
  const types = Int32Array.from(ctx.llama.metadata.get('tokenizer.ggml.token_type') as Int32Array);
  types[1000] = 6; // token 1000 is a normal piece (3..258 are the byte pieces)
  await rejectsWith(
    () => tokenizerFromGguf(withMeta(ctx.llama, { 'tokenizer.ggml.token_type': types })),
    /llama-spm\.gguf: token 1000 ".*" has type 6 \(byte\) but is not spelled <0xXX>$/,
  );
  types[1000] = 9;
  await rejectsWith(() => tokenizerFromGguf(withMeta(ctx.llama, { 'tokenizer.ggml.token_type': types })), /token 1000 has type 9; llama\.cpp token types are 1 to 6$/);
});
errors('should read a GGUF file under any name, and re-code a corrupt one', async ({ dir }) => {
  const renamed = join(dir, 'tokenizer.bin');
  await copyFile(LLAMA_GGUF, renamed);
  assert.equal((await loadTokenizer(renamed)).encode('Hello world'), [1, 15043, 3186]);
  const cut = join(dir, 'cut.gguf');
  await writeFile(cut, (await readFile(GPT2_GGUF)).subarray(0, 4096));
  await rejectsWith(() => loadTokenizer(cut), /^cut\.gguf: /);
});
errors.run();

// ---

// The real SmolLM2-135M-Instruct GGUF (bench/fetch-model.mjs) and the tokenizer.json that
// transformers exported from it into the same folder. That export is not independent of the GGUF
// (and lacks SmolLM's Digits pre-tokenizer, which changes nothing for this vocabulary: it has no
// merge involving a digit), so this only checks that both routes agree.
const SMOL_DIR = process.env['FSLLM_BENCH_MODEL_DIR'] ?? join(homedir(), '.cache', 'fsllm-native', 'models', 'smollm2-135m');
const SMOL_GGUF = join(SMOL_DIR, 'SmolLM2-135M-Instruct.Q4_1.gguf');
const STRINGS = readFixture<string[]>('strings.json');

type SmolCtx = { gguf: Tokenizer; hf: Tokenizer };
// fetch-model writes tokenizer.json after the GGUF, so its presence means both are there.
const smol = when(producedFile(join(SMOL_DIR, 'tokenizer.json'), 'node bench/fetch-model.mjs'),
  suite<SmolCtx>('loadTokenizer :: SmolLM2-135M-Instruct GGUF vs its exported tokenizer.json'));
smol.before(async (ctx) => {
  ctx.gguf = await loadTokenizer(SMOL_GGUF);
  ctx.hf = await loadTokenizer(join(SMOL_DIR, 'tokenizer.json'));
});
smol('should describe the vocabulary like the export', ({ gguf, hf }) => {
  assert.equal([gguf.vocabSize, gguf.bosId, gguf.eosId], [hf.vocabSize, hf.bosId, hf.eosId]);
  assert.equal([gguf.bosId, gguf.eosId], [1, 2]);
});
smol('should encode and decode every fixture string like the export', ({ gguf, hf }) => {
  for (const text of STRINGS) {
    const ids = gguf.encode(text);
    assert.equal(ids, hf.encode(text), label(text));
    assert.is(gguf.decode(ids), hf.decode(ids), label(text));
  }
});
smol('should split chat control tokens and add no BOS (add_bos_token false)', ({ gguf }) => {
  assert.equal(gguf.encode('The capital of France is'), [504, 3575, 282, 4649, 314]);
  assert.equal(gguf.encode('<|im_start|>user\nHi<|im_end|>').slice(0, 2), [1, 4093]);
  assert.is(gguf.decode([1, 4093, 2]), 'user');
});
smol.run();
