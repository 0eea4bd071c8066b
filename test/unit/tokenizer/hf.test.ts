import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTokenizer } from '../../../lib/tokenizer/index.js';
import type { Tokenizer } from '../../../lib/tokenizer/index.js';
import { HF_GPT2_DIR, HF_LLAMA_DIR, label, readFixture } from './fixtures.js';
import type { HfFixture, SentencepieceFixture } from './fixtures.js';

// tokenizer.json files built by transformers (fixture script), compared with the ids that the Rust
// HF `tokenizers` library gives for the same files; the Llama one also with sentencepiece.
const GPT2 = readFixture<HfFixture>('gpt2-hf.json');
const LLAMA = readFixture<HfFixture>('llama-hf.json');
const SP = readFixture<SentencepieceFixture>('llama-sentencepiece.json');

type Ctx = { tok: Tokenizer };

const gpt2 = suite<Ctx>('HfTokenizer :: gpt2 tokenizer.json vs HF tokenizers');
gpt2.before(async (ctx) => {
  ctx.tok = await loadTokenizer(HF_GPT2_DIR);
});
gpt2('should describe the vocabulary', ({ tok }) => {
  assert.is(tok.kind, 'hf');
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
gpt2('should add BOS/EOS only when asked (GPT-2 adds none by itself)', ({ tok }) => {
  const plain = tok.encode('Hi there');
  assert.equal(tok.encode('Hi there', { addBos: true, addEos: true }), [50256, ...plain, 50256]);
});
gpt2.run();

// ---

const llama = suite<Ctx>('HfTokenizer :: llama tokenizer.json vs HF tokenizers and sentencepiece');
llama.before(async (ctx) => {
  ctx.tok = await loadTokenizer(HF_LLAMA_DIR);
});
llama('should describe the vocabulary', ({ tok }) => {
  assert.is(tok.kind, 'hf');
  assert.is(tok.vocabSize, 32000);
  assert.is(tok.bosId, 1);
  assert.is(tok.eosId, 2);
});
LLAMA.cases.forEach((c, i) => {
  const sp = SP.cases[i];
  llama(`should match HF :: ${label(c.text)}`, ({ tok }) => {
    assert.equal(tok.encode(c.text), c.idsWithSpecial);
    assert.equal(tok.encode(c.text, { addBos: false }), c.ids);
    assert.is(tok.decode(c.idsWithSpecial), c.decoded);
    // HF splits out special-token text such as "</s>" before the model runs; sentencepiece does not.
    if (sp !== undefined && !(LLAMA.differsFromSentencepiece ?? []).includes(c.text)) {
      assert.equal(tok.encode(c.text, { addBos: false }), sp.ids);
    }
  });
});
llama('should prepend BOS by convention and append EOS when asked', ({ tok }) => {
  assert.equal(tok.encode('Hello world'), [1, 15043, 3186]);
  assert.equal(tok.encode('Hello world', { addEos: true }), [1, 15043, 3186, 2]);
  assert.equal(tok.encode('', { addBos: false }), []);
});
llama('should keep special tokens in decode only with keepSpecial', ({ tok }) => {
  assert.is(tok.decode([1, 9038, 2], { keepSpecial: true }), '<s> Once</s>');
  assert.is(tok.decode([1, 9038, 2]), 'Once');
  assert.is(tok.decode([]), '');
});
llama.run();
