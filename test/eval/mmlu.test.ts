import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  argmaxChoice,
  mmluChoiceIds,
  mmluPrompt,
  mmluPromptWithinBudget,
  mmluShots,
  mmluSubset,
  readMmlu,
  summarizeMmlu,
  type MmluItem,
} from '../../lib/eval/index.js';
import { loadTokenizer } from '../../lib/tokenizer/index.js';
import { SHARED_TOKENIZERS, TOK512_BIN } from '../helpers/paths.js';
import { sharedTokenizer, when } from '../helpers/requirements.js';
import { evalFixture, sample } from './_support.js';

type Ctx = { items: MmluItem[] };
type PromptCase = { subject: string; question: number; shots: number[]; prompt: string };
const fx = evalFixture<{ cases: PromptCase[] }>('mmlu-prompts.json');

const read = suite<Ctx>('readMmlu');
read.before(async (ctx) => {
  ctx.items = await readMmlu(sample('mmlu-sample.jsonl'));
});
read('should read questions, choices, answers and subjects', ({ items }) => {
  assert.is(items.length, 40);
  assert.equal([...new Set(items.map((i) => i.subject))], ['abstract algebra', 'high school geography', 'us foreign policy', 'world religions']);
  assert.equal(items.map((i) => i.index), [...items.keys()]);
  for (const item of items) {
    assert.is(item.choices.length, 4);
    assert.ok(['A', 'B', 'C', 'D'].includes(item.answer));
  }
});
read.run();

// ---

const prompt = suite<Ctx>('mmluPrompt');
prompt.before(async (ctx) => {
  ctx.items = await readMmlu(sample('mmlu-sample.jsonl'));
});
prompt('should equal the reference prompt string, quirks included', ({ items }) => {
  assert.is(fx.cases.length, 12);
  for (const c of fx.cases) {
    const got = mmluPrompt(items[c.question]!, c.shots.map((i) => items[i]!));
    assert.is(got, c.prompt, `${c.subject} question ${c.question} with ${c.shots.length} shots`);
  }
});
prompt("should drop the reference's stray spaces in the clean header", ({ items }) => {
  const text = mmluPrompt(items[0]!, [], 'clean');
  assert.ok(text.startsWith('The following are multiple choice questions (with answers) about abstract algebra.\n\n'));
  assert.is(text.slice(text.indexOf('\n\n') + 2), mmluPrompt(items[0]!, []).slice(mmluPrompt(items[0]!, []).indexOf('\n\n') + 2));
});
prompt('should keep as many leading shots as fit the budget, and the bare question when none fits', ({ items }) => {
  const item = items[7]!;
  const shots = [0, 1, 2, 3, 4].map((i) => items[i]!);
  const count = (text: string) => Math.ceil(text.length / 4);
  const lengths = [0, 1, 2, 3, 4, 5].map((k) => count(mmluPrompt(item, shots.slice(0, k))));
  for (let k = 0; k <= 5; k++) {
    const fit = mmluPromptWithinBudget(item, shots, count, { maxTokens: lengths[k]! });
    assert.is(fit.shots, k, `budget for ${k} shots`);
    assert.is(fit.prompt, mmluPrompt(item, shots.slice(0, k)));
  }
  assert.is(mmluPromptWithinBudget(item, shots, count, { maxTokens: 1 }).shots, 0);
  assert.is(mmluPromptWithinBudget(item, shots, count).shots, 5, 'default budget 1024 fits five short shots');
});
prompt.run();

// ---

const shots = suite<Ctx>('mmluShots');
shots.before(async (ctx) => {
  ctx.items = await readMmlu(sample('mmlu-sample.jsonl'));
});
shots('should take shots from the same subject and never the question itself', ({ items }) => {
  for (const seed of [0, 1, 2]) {
    const map = mmluShots(items, 5, seed);
    for (const item of items) {
      const chosen = map.get(item.index)!;
      assert.is(chosen.length, 5);
      assert.ok(chosen.every((s) => s.subject === item.subject));
      assert.not.ok(chosen.includes(item));
      assert.is(new Set(chosen).size, 5);
    }
  }
});
shots('should be deterministic per seed, differ between seeds, and share one set per subject but for the shots themselves', ({ items }) => {
  const ids = (seed: number) => [...mmluShots(items, 5, seed)].map(([i, s]) => `${i}:${s.map((x) => x.index).join(',')}`);
  assert.equal(ids(7), ids(7));
  assert.not.equal(ids(7), ids(8));
  const map = mmluShots(items, 5, 0);
  for (const subject of new Set(items.map((i) => i.subject))) {
    const members = items.filter((i) => i.subject === subject);
    const sets = new Set(members.map((m) => map.get(m.index)!.map((s) => s.index).join()));
    assert.is(sets.size, 6, `${subject}: the common set, and one variant for each of its 5 members`);
  }
});
shots('should not depend on the other subjects or on the order items are given in', ({ items }) => {
  const all = mmluShots(items, 5, 3);
  const onlyOne = items.filter((i) => i.subject === 'world religions');
  for (const [index, chosen] of mmluShots(onlyOne, 5, 3)) assert.equal(chosen, all.get(index));
  assert.equal(new Map([...mmluShots([...items].reverse(), 5, 3)].sort(([a], [b]) => a - b)), all);
});
shots('should give fewer shots when a subject is small', ({ items }) => {
  const three = items.filter((i) => i.subject === 'abstract algebra').slice(0, 3);
  for (const chosen of mmluShots(three, 5, 0).values()) assert.is(chosen.length, 2);
});
shots.run();

// ---

const subset = suite<Ctx>('mmluSubset');
subset.before(async (ctx) => {
  ctx.items = await readMmlu(sample('mmlu-sample.jsonl'));
});
subset('should let subjects take turns so a small limit covers them all', ({ items }) => {
  const five = mmluSubset(items, 5);
  assert.equal(five.map((i) => i.subject), ['abstract algebra', 'high school geography', 'us foreign policy', 'world religions', 'abstract algebra']);
  assert.equal(five.map((i) => i.index), [0, 10, 20, 30, 1]);
  assert.is(mmluSubset(items, 1000).length, 40);
  assert.is(mmluSubset(items, 0).length, 0);
});
subset.run();

// ---

const ids = suite('mmluChoiceIds');
ids('should take the last id of encoding each bare letter, as tokenizer("A").input_ids[-1]', async () => {
  const tok = await loadTokenizer(TOK512_BIN);
  const got = mmluChoiceIds(tok);
  assert.equal(got, ['A', 'B', 'C', 'D'].map((l) => tok.encode(l).at(-1)!));
  assert.equal(got.map((id) => tok.decode([id])), ['A', 'B', 'C', 'D']);
});
when(sharedTokenizer('llama2-sentencepiece'), ids)('should be the "▁A".."▁D" ids that follow "Answer:" for Llama-2', async () => {
  const tok = await loadTokenizer(path.join(SHARED_TOKENIZERS, 'llama2-sentencepiece', 'tokenizer.bin'));
  assert.equal(mmluChoiceIds(tok), [319, 350, 315, 360]);
  assert.is(tok.encode('Answer: A').at(-1), 319);
});
ids.run();

// ---

const scores = suite('argmaxChoice + summarizeMmlu');
scores('should take the largest logit, the first on ties', () => {
  assert.is(argmaxChoice([0, 2, 1, -1]), 'B');
  assert.is(argmaxChoice([3, 3, 3, 3]), 'A');
  assert.is(argmaxChoice(new Float32Array([-5, -4, -1, -1])), 'C');
});
scores('should give per-subject accuracy, micro over questions and macro over subjects', () => {
  const rows = [
    ...[true, true, true, false].map((correct) => ({ subject: 'b', correct })),
    ...[false, false].map((correct) => ({ subject: 'a', correct })),
  ];
  const s = summarizeMmlu(rows);
  assert.equal(Object.keys(s.subjects), ['a', 'b']);
  assert.equal(s.subjects['b'], { n: 4, correct: 3, accuracy: 0.75 });
  assert.is(s.micro, 0.5);
  assert.is(s.macro, 0.375);
  assert.is(s.n, 6);
  assert.ok(Number.isNaN(summarizeMmlu([]).micro));
});
scores.run();
