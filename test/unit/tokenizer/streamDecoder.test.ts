import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTokenizer } from '../../../lib/tokenizer/index.js';
import type { Tokenizer } from '../../../lib/tokenizer/index.js';
import { Utf8StreamDecoder } from '../../../lib/tokenizer/Utf8StreamDecoder.js';
import { when } from '../../helpers/requirements.js';
import { HF_GPT2_DIR, HF_LLAMA_DIR, isWellFormed, LLAMA_BIN, LLAMA_VOCAB, readFixture, TOK512_BIN } from './fixtures.js';
import type { SentencepieceFixture } from './fixtures.js';

const STRINGS = readFixture<string[]>('strings.json');
const SP = readFixture<SentencepieceFixture>('llama-sentencepiece.json');

/** Pushes ids one by one; returns every chunk, the flush result last. */
function stream(tok: Tokenizer, ids: readonly number[], keepSpecial = false): string[] {
  const d = tok.createStreamDecoder({ keepSpecial });
  const chunks = ids.map((id) => d.push(id));
  chunks.push(d.flush());
  return chunks;
}

const utf8 = suite('Utf8StreamDecoder');
utf8('should hold a split character until it completes', () => {
  const d = new Utf8StreamDecoder();
  assert.is(d.push([0xf0, 0x9f]), '');
  assert.is(d.push([0x98]), '');
  assert.is(d.push([0x80, 0x61]), '\u{1F600}a');
  assert.is(d.end(), '');
});
utf8('should emit one U+FFFD per byte of a broken sequence :: sentencepiece rule', () => {
  const d = new Utf8StreamDecoder();
  assert.is(d.push([0xe4, 0xb8]), '');
  assert.is(d.push([0x61]), '\uFFFD\uFFFDa');
  assert.is(d.push([0xed, 0xa0, 0x80]), '\uFFFD\uFFFD\uFFFD'); // a UTF-16 surrogate is not valid UTF-8
  assert.is(d.push([0xc0, 0xaf, 0xff]), '\uFFFD\uFFFD\uFFFD'); // overlong, lone continuation, 0xFF
  assert.is(d.push([0xe4]), '');
  assert.is(d.end(), '\uFFFD');
});
utf8.run();

// ---

type Ctx = { toks: Record<string, Tokenizer> };
const same = suite<Ctx>('Tokenizer.createStreamDecoder');
same.before(async (ctx) => {
  ctx.toks = {
    ...(LLAMA_VOCAB.met ? { 'llama2c llama': await loadTokenizer(LLAMA_BIN) } : {}),
    'llama2c tok512': await loadTokenizer(TOK512_BIN),
    'hf llama': await loadTokenizer(HF_LLAMA_DIR),
    'hf gpt2': await loadTokenizer(HF_GPT2_DIR),
  };
});
const sameLlama = when(LLAMA_VOCAB, same);
for (const name of ['llama2c llama', 'llama2c tok512', 'hf llama', 'hf gpt2']) {
  (name === 'llama2c llama' ? sameLlama : same)(`should concatenate to decode() and emit well-formed text :: ${name}`, ({ toks }) => {
    const tok = toks[name] as Tokenizer;
    for (const text of STRINGS) {
      const ids = tok.encode(text, { addEos: true });
      for (const keepSpecial of [false, true]) {
        const chunks = stream(tok, ids, keepSpecial);
        assert.is(chunks.join(''), tok.decode(ids, { keepSpecial }), JSON.stringify(text));
        for (const chunk of chunks) {
          assert.ok(isWellFormed(chunk), `unpaired surrogate in ${JSON.stringify(chunk)}`);
          assert.ok(!chunk.includes('\uFFFD') || text.includes('\uFFFD'), `U+FFFD while streaming ${JSON.stringify(text)}`);
        }
      }
    }
  });
}
sameLlama('should emit an emoji only when its last byte token arrives :: llama2c', ({ toks }) => {
  const tok = toks['llama2c llama'] as Tokenizer;
  assert.equal(tok.encode('😀'), [1, 29871, 243, 162, 155, 131]);
  assert.equal(stream(tok, [1, 29871, 243, 162, 155, 131]), ['', '', '', '', '', '😀', '']);
});
same('should emit an emoji only when its last byte-level token arrives :: hf gpt2', ({ toks }) => {
  const tok = toks['hf gpt2'] as Tokenizer;
  const ids = tok.encode('🦙 llama');
  assert.equal(ids, [8582, 99, 247, 32660, 1689]);
  assert.equal(stream(tok, ids), ['', '', '🦙', ' ll', 'ama', '']);
});
sameLlama('should reproduce sentencepiece on id lists with broken UTF-8 :: llama2c', ({ toks }) => {
  const tok = toks['llama2c llama'] as Tokenizer;
  for (const c of SP.decodeCases) assert.is(stream(tok, c.ids).join(''), c.decoded, JSON.stringify(c.ids));
});
same.run();
