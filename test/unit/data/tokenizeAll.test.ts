import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { alpacaPrompt, dropWarning, IGNORE_INDEX, tokenizeAll, tokenizeInstruction } from '../../../lib/data/index.js';
import { loadTokenizer, type Tokenizer } from '../../../lib/tokenizer/index.js';
import { TOK512_BIN } from '../tokenizer/fixtures.js';
import { fails } from '../../helpers/errors.js';

type Ctx = { tok: Tokenizer };

const short = { instruction: 'Add two and two.', input: '', output: 'Four.' };
const long = { instruction: 'Tell a long story. '.repeat(40), input: '', output: 'Once upon a time.' };

const all = suite<Ctx>('tokenizeAll');
all.before(async (ctx) => {
  ctx.tok = await loadTokenizer(TOK512_BIN);
});
all('should tokenize in order and drop examples whose prompt fills tokLen', ({ tok }) => {
  const tokLen = 128;
  assert.ok(tok.encode(alpacaPrompt(long)).length >= tokLen, 'the long prompt alone exceeds tokLen');
  const { examples, records, dropped } = tokenizeAll(tok, [short, long, short], tokLen);
  assert.is(dropped, 1);
  assert.is(examples.length, 2);
  assert.equal(records, [short, short], 'the records behind the kept examples');
  assert.equal(examples[0], tokenizeInstruction(tok, short, tokLen));
  assert.ok(examples.every((e) => e.ids.length <= tokLen && e.labels.some((l) => l !== IGNORE_INDEX)));
});
all('should keep the long example once tokLen is large enough', ({ tok }) => {
  assert.is(tokenizeAll(tok, [long], 2048).dropped, 0);
});
all('should refuse a bad tokLen', async ({ tok }) => {
  await fails(() => tokenizeAll(tok, [short], 1), 'ERR_FSLLM_INVALID_ARG', /Expected an integer >= 2 for tokLen but received 1/);
});
all.run();

// ---

const warning = suite('dropWarning');
warning('should say how many, where, why and what to change', () => {
  assert.is(
    dropWarning(12, 800, 128, 'client 3 train'),
    '12 of 800 examples of client 3 train were dropped: the prompt fills all 128 tokens (tokLen), so no response token is left to learn from; raise data.tokLen',
  );
  assert.match(dropWarning(1, 5, 64, 'client 1 val'), /^1 of 5 examples of client 1 val was dropped/);
});
warning('should be empty when nothing was dropped', () => {
  assert.is(dropWarning(0, 800, 128, 'client 3 train'), '');
});
warning.run();
