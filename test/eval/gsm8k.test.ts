import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  extractGsm8kAnswer,
  gradeGsm8k,
  gsm8kPrompt,
  gsm8kTarget,
  readGsm8k,
  GSM8K_EXEMPLARS,
  GSM8K_STOP_STRINGS,
} from '../../lib/eval/index.js';
import { fails } from '../helpers/errors.js';
import { evalFixture, sample, withTempDir } from './_support.js';

type Fixture = {
  extraction: { completion: string; expected: string }[];
  targets: { answer: string; expected: string }[];
  prompts: { style: 'cot' | 'alpaca'; question: string; order: number[]; prompt: string }[];
};
const fx = evalFixture<Fixture>('gsm8k.json');
const INVALID = '[invalid]';

const extraction = suite('extractGsm8kAnswer');
for (const { completion, expected } of fx.extraction) {
  extraction(`should match the reference clean_answer :: ${JSON.stringify(completion).slice(0, 60)}`, () => {
    assert.is(extractGsm8kAnswer(completion) ?? INVALID, expected);
  });
}
extraction('should cover the tricky cases the fixture was made for', () => {
  assert.ok(fx.extraction.length >= 40);
  assert.ok(fx.extraction.some((c) => c.expected === INVALID));
  assert.ok(fx.extraction.some((c) => /[^\x00-\x7f]/.test(c.expected)), 'a non-ASCII digit answer');
});
extraction.run();

// ---

const targets = suite('gsm8kTarget');
for (const { answer, expected } of fx.targets) {
  targets(`should match extract_answer_from_output :: ${JSON.stringify(answer.slice(-24))}`, () => {
    assert.is(gsm8kTarget(answer) ?? INVALID, expected);
  });
}
targets.run();

// ---

const prompt = suite('gsm8kPrompt');
for (const [i, p] of fx.prompts.entries()) {
  prompt(`should equal the reference prompt :: ${p.style} ${p.order.length}-shot`, () => {
    assert.is(gsm8kPrompt({ index: i, question: p.question }, { style: p.style, order: p.order }), p.prompt);
  });
}
prompt('should default to 8 exemplars for cot and none for alpaca', () => {
  const item = { index: 3, question: 'How many?' };
  assert.is(gsm8kPrompt(item).split('\nA: ').length - 1, 8);
  assert.ok(gsm8kPrompt(item).endsWith('Q: How many?\nA:'));
  assert.ok(gsm8kPrompt(item, { style: 'alpaca' }).startsWith('Below is an instruction that describes a task. Write'));
  assert.not.match(gsm8kPrompt(item, { style: 'alpaca' }), /The answer is/);
});
prompt('should use every exemplar once, in an order fixed by seed and item index', () => {
  const orderOf = (index: number, seed = 0) =>
    GSM8K_EXEMPLARS.map((e, i) => [gsm8kPrompt({ index, question: '?' }, { seed }).indexOf(e.question), i] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([at, i]) => (assert.ok(at >= 0), i));
  assert.equal(orderOf(7), orderOf(7));
  assert.equal([...orderOf(7)].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  const orders = new Set([0, 1, 2, 3, 4, 5].map((index) => orderOf(index).join()));
  assert.ok(orders.size >= 5, 'questions get different orders');
  assert.is.not(orderOf(7, 1).join(), orderOf(7, 0).join());
});
prompt('should keep the first `shots` of the order', () => {
  const full = gsm8kPrompt({ index: 11, question: '?' });
  const three = gsm8kPrompt({ index: 11, question: '?' }, { shots: 3 });
  const demos = full.split('\n\n').slice(0, 3).join('\n\n');
  assert.is(three, `${demos}\n\nQ: ?\nA:`);
  assert.is(gsm8kPrompt({ index: 11, question: '?' }, { shots: 0 }), 'Q: ?\nA:');
});
prompt('should refuse shots outside 0..8 and a bad order', async () => {
  await fails(() => gsm8kPrompt({ index: 0, question: '?' }, { shots: 9 }), 'ERR_FSLLM_INVALID_ARG', /shots/);
  await fails(() => gsm8kPrompt({ index: 0, question: '?' }, { shots: -1 }), 'ERR_FSLLM_INVALID_ARG', /shots/);
  await fails(() => gsm8kPrompt({ index: 0, question: '?' }, { order: [1, 1] }), 'ERR_FSLLM_INVALID_ARG', /order/);
  await fails(() => gsm8kPrompt({ index: 0, question: '?' }, { style: 'chat' as 'cot' }), 'ERR_FSLLM_INVALID_ARG', /style/);
});
prompt('should name stop strings that no exemplar answer contains', () => {
  for (const e of GSM8K_EXEMPLARS) for (const stop of GSM8K_STOP_STRINGS.cot) assert.not.ok(`A: ${e.chain}`.includes(stop));
  assert.ok(gsm8kPrompt({ index: 0, question: '?' }).includes(GSM8K_STOP_STRINGS.cot[0]!), 'the cot prompt itself shows the stop');
});
prompt.run();

// ---

const read = suite('readGsm8k + gradeGsm8k');
read('should read the sample test file with its targets', async () => {
  const items = await readGsm8k(sample('gsm8k-test-sample.jsonl'));
  assert.is(items.length, 50);
  assert.equal(items.map((it) => it.index), [...items.keys()]);
  for (const it of items) assert.match(it.target, /^-?[0-9.]+$/);
});
read('should grade by exact string equality after extraction', () => {
  assert.equal(gradeGsm8k('So the answer is 1,800.', { target: '1800' }), { prediction: '1800', target: '1800', correct: true });
  assert.is(gradeGsm8k('The answer is 18.0', { target: '18' }).correct, false);
  assert.equal(gradeGsm8k('nothing', { target: '3' }), { prediction: null, target: '3', correct: false });
});
read('should refuse an answer without a #### line, naming the line', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, 'test.jsonl');
    await writeFile(file, `${JSON.stringify({ question: 'q', answer: 'a\n#### 4' })}\n${JSON.stringify({ question: 'q', answer: 'four' })}\n`);
    await fails(() => readGsm8k(file), 'ERR_FSLLM_DATA', /line 2: answer has no "#### <number>" line/);
  }));
read.run();
