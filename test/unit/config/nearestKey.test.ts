import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { levenshtein, nearestKey } from '../../../lib/config/index.js';

const lev = suite('levenshtein');

const table: Array<[string, string, number]> = [
  ['', '', 0], ['abc', '', 3], ['', 'ab', 2], ['kitten', 'sitting', 3], ['flaw', 'lawn', 2], ['lr', 'lr', 0], ['ab', 'ba', 2],
];
for (const [a, b, d] of table) {
  lev(`should count edits :: ${JSON.stringify(a)} → ${JSON.stringify(b)}`, () => {
    assert.is(levenshtein(a, b), d);
    assert.is(levenshtein(b, a), d, 'symmetric');
  });
}

lev.run();

// ---

const near = suite('nearestKey');

near('should ignore case, underscores and dashes', () => {
  assert.is(nearestKey('client_num', ['clientNum', 'totalRounds']), 'clientNum');
  assert.is(nearestKey('clientnum', ['clientNum']), 'clientNum');
  assert.is(nearestKey('alpaca-cleaned', ['alpaca_cleaned', 'alpaca']), 'alpaca_cleaned');
});

near('should prefer the smallest distance, then the raw one', () => {
  assert.is(nearestKey('batchSize', ['batchsize', 'batchSize']), 'batchSize');
  assert.is(nearestKey('warmupStep', ['warmupSteps', 'warmupRatio']), 'warmupSteps');
});

near('should accept a prefix of three or more letters', () => {
  assert.is(nearestKey('frequency', ['freq', 'metrics']), 'freq');
  assert.is(nearestKey('dolly', ['dolly-15k', 'gsm8k']), 'dolly-15k');
});

near('should give nothing when no candidate is close', () => {
  assert.is(nearestKey('zzzzzz', ['model', 'data']), undefined);
  assert.is(nearestKey('x', []), undefined);
});

near.run();
