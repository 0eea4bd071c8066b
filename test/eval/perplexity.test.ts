import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { perplexity, withPerplexity } from '../../lib/eval/index.js';
import type { EvalRecord } from '../../lib/report/records.js';

const ppl = suite('perplexity');
ppl('should be exp of the mean token loss', () => {
  assert.is(perplexity(0), 1);
  assert.ok(Math.abs(perplexity(Math.log(42)) - 42) < 1e-12);
  assert.ok(Number.isNaN(perplexity(NaN)));
  assert.is(perplexity(1000), Infinity);
});
ppl.run();

// ---

const records = suite('withPerplexity');
records('should add a perplexity record after each loss record and pass others through', () => {
  const loss = (target: EvalRecord['target'], value: number, variant?: string): EvalRecord => ({
    kind: 'eval',
    round: 3,
    target,
    split: 'test',
    metric: 'loss',
    value,
    count: 10,
    ...(variant ? { variant } : {}),
  });
  const other: EvalRecord = { ...loss('global', 0.5), metric: 'gsm8k.accuracy' };
  const out = withPerplexity([loss(1, Math.log(2)), other, loss('mean', 0, 'AdapFu')]);
  assert.equal(out.map((r) => [r.target, r.metric, r.variant]), [
    [1, 'loss', undefined],
    [1, 'perplexity', undefined],
    ['global', 'gsm8k.accuracy', undefined],
    ['mean', 'loss', 'AdapFu'],
    ['mean', 'perplexity', 'AdapFu'],
  ]);
  assert.ok(Math.abs(out[1]!.value - 2) < 1e-12);
  assert.is(out[1]!.count, 10);
  assert.is(out[4]!.value, 1);
});
records.run();
