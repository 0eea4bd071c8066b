// The readers and prompt builders on the full shared data sets (skipped, with the reason, where they are absent).
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  gsm8kPrompt,
  humanEvalProgram,
  mmluShots,
  mmluSubset,
  readGsm8k,
  readHumanEval,
  readMmlu,
  summarizeMmlu,
  type HumanEvalLanguage,
} from '../../lib/eval/index.js';
import { datasets, when } from '../helpers/requirements.js';
import { DATASETS } from './_support.js';

const gsm8k = when(datasets('gsm8k'), suite('full GSM8K test file'));
gsm8k('should read all 1319 problems with a numeric target each', async () => {
  const items = await readGsm8k(path.join(DATASETS, 'gsm8k', 'test.jsonl'));
  assert.is(items.length, 1319);
  for (const item of items) assert.match(item.target, /^-?\d+(\.\d+)?$/, item.answer.slice(-30));
  assert.ok(gsm8kPrompt(items[1318]!).endsWith(`Q: ${items[1318]!.question}\nA:`));
});
gsm8k.run();

// ---

const humaneval = when(datasets('humaneval', 'humaneval-x'), suite('full HumanEval and HumanEval-X files'));
humaneval('should read 164 tasks of each suite and language', async () => {
  assert.is((await readHumanEval(path.join(DATASETS, 'humaneval', 'HumanEval.jsonl.gz'))).length, 164);
  for (const language of ['cpp', 'go', 'java', 'js', 'python', 'rust'] as HumanEvalLanguage[]) {
    const tasks = await readHumanEval(path.join(DATASETS, 'humaneval-x', `humaneval_${language}.jsonl.gz`));
    assert.is(tasks.length, 164, language);
    assert.ok(tasks.every((t) => t.language === language));
    // The canonical solution assembles into one file holding prompt, solution and tests.
    const p = humanEvalProgram(tasks[0]!, tasks[0]!.canonicalSolution);
    assert.ok(p.source.includes(tasks[0]!.canonicalSolution) && p.source.includes(tasks[0]!.test.trim()));
  }
});
humaneval.run();

// ---

const mmlu = when(datasets('mmlu'), suite('full MMLU test file'));
mmlu('should read 14042 questions of 57 subjects, with five own-subject shots each, never the question', async () => {
  const items = await readMmlu(path.join(DATASETS, 'mmlu', 'mmlu-test.jsonl'));
  assert.is(items.length, 14042);
  const shots = mmluShots(items);
  for (const item of items) {
    const chosen = shots.get(item.index)!;
    assert.is(chosen.length, 5);
    assert.ok(chosen.every((s) => s.subject === item.subject && s.index !== item.index));
  }
  const subset = mmluSubset(items, 200);
  assert.is(Object.keys(summarizeMmlu(subset.map((i) => ({ subject: i.subject, correct: false }))).subjects).length, 57);
});
mmlu.run();
