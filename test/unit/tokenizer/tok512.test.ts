import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTokenizer } from '../../../lib/tokenizer/index.js';
import type { Tokenizer } from '../../../lib/tokenizer/index.js';
import { parseLlama2cVocab } from '../../../lib/tokenizer/llama2cVocab.js';
import type { Llama2cVocab } from '../../../lib/tokenizer/llama2cVocab.js';
import { label, readFixture, TOK512_BIN } from './fixtures.js';
import type { IdCase } from './fixtures.js';

// stories260K's 512-token vocabulary. It has no .model file, so the ids come from the fixture
// script's second implementation (itself checked against sentencepiece on the Llama vocabulary).
const BPE = readFixture<{ cases: IdCase[] }>('tok512-bpe.json');

type Ctx = { tok: Tokenizer };
const load = async (ctx: Ctx): Promise<void> => {
  ctx.tok = await loadTokenizer(TOK512_BIN);
};

const encode = suite<Ctx>('Llama2cTokenizer.encode :: tok512 vs second implementation');
encode.before(load);
for (const c of BPE.cases) {
  encode(`should match :: ${label(c.text)}`, ({ tok }) => {
    assert.equal(tok.encode(c.text, { addBos: false }), c.ids);
  });
}
encode.run();

// ---

const facts = suite<Ctx>('Llama2cTokenizer :: tok512 hand-checked facts');
facts.before(load);
facts('should have 512 tokens with BOS 1 and EOS 2', ({ tok }) => {
  assert.is(tok.vocabSize, 512);
  assert.is(tok.bosId, 1);
  assert.is(tok.eosId, 2);
});
facts('should encode "Once upon a time" into four word pieces after BOS', ({ tok }) => {
  const ids = tok.encode('Once upon a time');
  assert.equal(ids, [1, 403, 407, 261, 378]);
  // Preceded by something visible (the byte token for "A"), a piece keeps its leading space.
  const pieceText = (id: number): string => tok.decode([0x41 + 3, id]).slice(1);
  assert.equal(ids.slice(1).map(pieceText), [' Once', ' upon', ' a', ' time']);
  assert.is(tok.decode(ids), 'Once upon a time');
});
facts('should fall back to byte tokens (byte + 3) for a character outside the vocabulary', ({ tok }) => {
  // "中" is U+4E2D = UTF-8 E4 B8 AD; tok512 has no piece for it. 410 is the dummy-prefix " ".
  assert.equal(tok.encode('中', { addBos: false }), [410, 0xe4 + 3, 0xb8 + 3, 0xad + 3]);
  assert.is(tok.decode(tok.encode('中')), '中');
});
facts.run();

// ---

/** Third, naive reading of the SentencePiece BPE rule (rescan for the best pair each time). */
function naiveEncode(v: Llama2cVocab, text: string): number[] {
  if (text === '') return [];
  const syms = [...(' ' + text)];
  for (;;) {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i + 1 < syms.length; i++) {
      const id = v.normalIds.get((syms[i] as string) + (syms[i + 1] as string));
      if (id !== undefined && (v.scores[id] as number) > bestScore) {
        best = i;
        bestScore = v.scores[id] as number;
      }
    }
    if (best < 0) break;
    syms.splice(best, 2, (syms[best] as string) + (syms[best + 1] as string));
  }
  return syms.flatMap((s) => {
    const id = v.normalIds.get(s);
    return id !== undefined ? [id] : [...new TextEncoder().encode(s)].map((b) => v.byteIds[b] as number);
  });
}

const random = suite<Ctx & { vocab: Llama2cVocab }>('Llama2cTokenizer.encode :: tok512 random strings');
random.before(async (ctx) => {
  await load(ctx);
  ctx.vocab = parseLlama2cVocab(readFileSync(TOK512_BIN), TOK512_BIN);
});
random('should agree with a naive rescan on 300 seeded random strings', ({ tok, vocab }) => {
  const alphabet = [...'aaeeioutnshrdlyw  ,.\n\'!?Té\u4e2d🦙'];
  let seed = 12345;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let k = 0; k < 300; k++) {
    let text = '';
    for (let n = next(80); n > 0; n--) text += alphabet[next(alphabet.length)];
    assert.equal(tok.encode(text, { addBos: false }), naiveEncode(vocab, text), JSON.stringify(text));
  }
});
random.run();
