import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTokenizer } from '../../../lib/tokenizer/index.js';
import type { Tokenizer } from '../../../lib/tokenizer/index.js';
import { when } from '../../helpers/requirements.js';
import { label, LLAMA_BIN, LLAMA_VOCAB, readFixture } from './fixtures.js';
import type { SentencepieceFixture } from './fixtures.js';

// Llama 32k vocabulary in llama2.c format (tokenizer.bin) against Python sentencepiece on the same
// vocabulary's tokenizer.model.
const SP = readFixture<SentencepieceFixture>('llama-sentencepiece.json');

type Ctx = { tok: Tokenizer };
const load = async (ctx: Ctx): Promise<void> => {
  ctx.tok = await loadTokenizer(LLAMA_BIN);
};

const props = when(LLAMA_VOCAB, suite<Ctx>('Llama2cTokenizer :: llama 32k'));
props.before(load);
props('should describe the vocabulary', ({ tok }) => {
  assert.is(tok.kind, 'llama2c');
  assert.is(tok.vocabSize, SP.vocabSize);
  assert.is(tok.bosId, SP.bosId);
  assert.is(tok.eosId, SP.eosId);
});
props.run();

// ---

const encode = when(LLAMA_VOCAB, suite<Ctx>('Llama2cTokenizer.encode :: llama 32k vs sentencepiece'));
encode.before(load);
for (const c of SP.cases) {
  encode(`should match sentencepiece :: ${label(c.text)}`, ({ tok }) => {
    assert.equal(tok.encode(c.text, { addBos: false }), c.ids);
  });
}
encode('should prepend BOS by default and append EOS only when asked', ({ tok }) => {
  assert.equal(tok.encode('Hello world'), [1, 15043, 3186]);
  assert.equal(tok.encode('Hello world', { addEos: true }), [1, 15043, 3186, 2]);
  assert.equal(tok.encode('Hello world', { addBos: false, addEos: true }), [15043, 3186, 2]);
});
encode('should add no dummy prefix to empty text', ({ tok }) => {
  assert.equal(tok.encode(''), [1]);
  assert.equal(tok.encode('', { addBos: false }), []);
});
encode('should encode a lone surrogate as U+FFFD', ({ tok }) => {
  assert.equal(tok.encode('a\uD800b', { addBos: false }), tok.encode('a\uFFFDb', { addBos: false }));
});
encode.run();

// ---

const decode = when(LLAMA_VOCAB, suite<Ctx>('Llama2cTokenizer.decode :: llama 32k vs sentencepiece'));
decode.before(load);
for (const c of SP.cases) {
  decode(`should round-trip :: ${label(c.text)}`, ({ tok }) => {
    assert.is(tok.decode(tok.encode(c.text)), c.decoded);
    assert.is(tok.decode(c.ids), c.text);
  });
}
for (const c of SP.decodeCases) {
  decode(`should decode like sentencepiece :: ${JSON.stringify(c.ids)}`, ({ tok }) => {
    assert.is(tok.decode(c.ids), c.decoded);
  });
}
decode('should render special tokens with keepSpecial', ({ tok }) => {
  // Same text as HF tokenizers' decode(skip_special_tokens=False) on the legacy Llama tokenizer.json.
  assert.is(tok.decode([1, 9038, 2], { keepSpecial: true }), '<s> Once</s>');
  assert.is(tok.decode([0, 9038], { keepSpecial: true }), '<unk> Once');
  assert.is(tok.decode([1, 9038, 2]), 'Once');
});
decode.run();
