import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { meanRougeL, rougeL, rougeTokens } from '../../lib/eval/index.js';
import { evalFixture } from './_support.js';

type Pair = { target: string; prediction: string; precision: number; recall: number; fmeasure: number };
const fx = evalFixture<{ pairs: Pair[] }>('rouge.json');

const score = suite('rougeL');
for (const p of fx.pairs) {
  score(`should equal rouge-score :: ${JSON.stringify(p.target).slice(0, 30)} vs ${JSON.stringify(p.prediction).slice(0, 30)}`, () => {
    const got = rougeL(p.target, p.prediction);
    // The same float operations in the same order as rouge-score: equal to the last bit.
    assert.equal(got, { precision: p.precision, recall: p.recall, fmeasure: p.fmeasure });
  });
}
score('should be symmetric in F1 and swap precision with recall', () => {
  const a = rougeL('one two three four', 'one three five');
  const b = rougeL('one three five', 'one two three four');
  assert.equal([a.precision, a.recall, a.fmeasure], [b.recall, b.precision, b.fmeasure]);
});
score.run();

// ---

const tokens = suite('rougeTokens');
tokens('should lowercase and split on everything but ASCII letters and digits', () => {
  assert.equal(rougeTokens("It's 3:45 p.m.; don't be LATE."), ['it', 's', '3', '45', 'p', 'm', 'don', 't', 'be', 'late']);
  assert.equal(rougeTokens('café 3rd'), ['caf', '3rd']);
  assert.equal(rougeTokens('\u212aELVIN'), ['kelvin']);
  assert.equal(rougeTokens(' \n\t'), []);
});
tokens.run();

// ---

const means = suite('meanRougeL');
means('should average each figure over the pairs', () => {
  const pairs = fx.pairs.slice(0, 10);
  const { scores, mean } = meanRougeL(pairs);
  assert.is(scores.length, 10);
  const avg = (key: 'precision' | 'recall' | 'fmeasure') => pairs.reduce((s, p) => s + p[key], 0) / pairs.length;
  for (const key of ['precision', 'recall', 'fmeasure'] as const) assert.ok(Math.abs(mean[key] - avg(key)) < 1e-15, key);
});
means('should be NaN over no pairs, never a false zero', () => {
  const { mean } = meanRougeL([]);
  assert.ok(Number.isNaN(mean.fmeasure));
});
means.run();
