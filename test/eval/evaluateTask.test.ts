// evaluateTask end to end on the embedded stories260K and the committed samples (assets/data), with tiny
// limits: the scores are whatever the tiny model gets; what is checked is the structure, the counts, the
// ranges, and that each metric equals re-scoring the detail rows with the model-free scorers.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  evaluateTask,
  gradeGsm8k,
  meanRougeL,
  readDollyRecords,
  readGsm8k,
  selectRows,
  summarizeHumanEval,
  summarizeMmlu,
  type CodeProgram,
  type ProgramRunner,
  type TaskScore,
} from '../../lib/eval/index.js';
import type { Model } from '../../lib/index.js';
import { fails } from '../helpers/errors.js';
import { namespaces, onPath, when } from '../helpers/requirements.js';
import { tinyModel } from '../helpers/tinyModel.js';
import { sample, withTempDir } from './_support.js';

type Ctx = { model: Model };

async function jsonl<T>(file: string): Promise<T[]> {
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

async function json<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** A stand-in for the sandbox (tested on its own): "passes" programs of even length, whatever they are. */
function parityRunner(): ProgramRunner & { seen: CodeProgram[] } {
  const seen: CodeProgram[] = [];
  const run = async (program: CodeProgram) => {
    seen.push(program);
    const passed = program.source.length % 2 === 0;
    return { passed, result: passed ? 'passed' : 'failed: AssertionError' };
  };
  return Object.assign(run, { seen });
}

function checkScore(score: TaskScore, task: string, n: number): void {
  assert.is(score.task, task);
  assert.is(score.n, n);
  assert.ok(score.seconds > 0);
  for (const [name, value] of Object.entries(score.metrics)) assert.ok(value >= 0 && value <= 1, `${name} = ${value}`);
}

const evaluate = suite<Ctx>('evaluateTask');
evaluate.before(async (ctx) => {
  ctx.model = await tinyModel();
});
evaluate.after(async (ctx) => {
  await ctx.model.dispose();
});

evaluate('gsm8k :: 8-shot prompts cut to the context, accuracy equal to re-grading the rows', async ({ model }) =>
  withTempDir(async (dir) => {
    const score = await evaluateTask(model, { type: 'gsm8k', limit: 3, maxNewTokens: 24 }, { sample: true, outDir: dir });
    checkScore(score, 'gsm8k', 3);
    assert.equal(Object.keys(score.metrics), ['accuracy']);
    const items = await readGsm8k(sample('gsm8k-test-sample.jsonl'));
    const rows = await jsonl<{ index: number; completion: string; tokens: number; correct: boolean; cutTokens?: number }>(path.join(dir, 'gsm8k.items.jsonl'));
    assert.equal(rows.map((r) => r.index), [0, 1, 2]);
    const regraded = rows.map((r) => gradeGsm8k(r.completion, items[r.index]!).correct);
    assert.is(score.metrics['accuracy'], regraded.filter(Boolean).length / 3);
    assert.ok(rows.every((r) => r.cutTokens! > 0), 'eight exemplars are longer than the 512-token context');
    assert.ok(score.generatedTokens > 0);
    assert.is(score.generatedTokens, rows.reduce((sum, r) => sum + r.tokens, 0));
    assert.equal(await json(path.join(dir, 'gsm8k.score.json')), score);
  }),
);

evaluate('rouge :: seeded Dolly rows, mean ROUGE-L F1 equal to re-scoring the rows', async ({ model }) =>
  withTempDir(async (dir) => {
    const score = await evaluateTask(model, { type: 'rouge', limit: 3, maxNewTokens: 24 }, { sample: true, outDir: dir, seed: 5 });
    checkScore(score, 'rouge', 3);
    const { records } = await readDollyRecords({ sample: true });
    const rows = await jsonl<{ index: number; completion: string; reference: string }>(path.join(dir, 'rouge.items.jsonl'));
    assert.equal(rows.map((r) => r.index), selectRows(records.length, 3, 5));
    assert.ok(rows.every((r) => r.reference === records[r.index]!.output));
    const rescored = meanRougeL(rows.map((r) => ({ target: r.reference, prediction: r.completion }))).mean.fmeasure;
    assert.is(score.metrics['rougeL'], rescored);
    assert.ok(score.generatedTokens > 0);
  }),
);

evaluate('rouge :: the given records instead of Dolly (a client split)', async ({ model }) => {
  const instructions = [
    { instruction: 'Say hello.', input: '', output: 'Hello there.' },
    { instruction: 'Name a colour.', input: 'Sky', output: 'Blue.' },
  ];
  const score = await evaluateTask(model, { type: 'rouge', maxNewTokens: 8 }, { instructions });
  checkScore(score, 'rouge', 2);
});

evaluate('mmlu :: logits over A-D, micro and macro accuracy equal to re-summarising the rows', async ({ model }) =>
  withTempDir(async (dir) => {
    const score = await evaluateTask(model, { type: 'mmlu', limit: 8 }, { sample: true, outDir: dir });
    checkScore(score, 'mmlu', 8);
    assert.is(score.generatedTokens, 0);
    const rows = await jsonl<{ subject: string; correct: boolean; shots: number }>(path.join(dir, 'mmlu.items.jsonl'));
    const summary = summarizeMmlu(rows);
    assert.is(score.metrics['accuracy'], summary.micro);
    assert.is(score.metrics['macroAccuracy'], summary.macro);
    assert.equal(await json(path.join(dir, 'mmlu.subjects.json')), summary.subjects);
    assert.is(Object.keys(summary.subjects).length, 4, 'a limit of 8 covers the four subjects of the sample');
    assert.ok(rows.every((r) => r.shots >= 0 && r.shots <= 5));
  }),
);

evaluate('humaneval :: samples per task through the runner, pass@k equal to re-summarising the results rows', async ({ model }) =>
  withTempDir(async (dir) => {
    const runner = parityRunner();
    const score = await evaluateTask(model, { type: 'humaneval', limit: 2, samples: 3, k: [1, 2], maxNewTokens: 24 }, { sample: true, outDir: dir, runner });
    checkScore(score, 'humaneval', 2);
    assert.equal(Object.keys(score.metrics), ['pass@1', 'pass@2']);
    const rows = await jsonl<{ task_id: string; completion: string; passed: boolean; result: string }>(path.join(dir, 'humaneval.items.jsonl'));
    assert.equal(rows.map((r) => r.task_id), ['HumanEval/0', 'HumanEval/0', 'HumanEval/0', 'HumanEval/1', 'HumanEval/1', 'HumanEval/1']);
    assert.equal(score.metrics, summarizeHumanEval(rows, [1, 2]).passAtK);
    assert.equal(await jsonl(path.join(dir, 'humaneval.tasks.jsonl')), summarizeHumanEval(rows, [1, 2]).tasks);
    assert.is(runner.seen.length, 6);
    assert.ok(rows.every((r) => r.completion.startsWith('    ')), 'cleaned as the reference: the first line indented by four');
    assert.ok(score.generatedTokens > 0);
  }),
);

evaluate('humaneval :: programs start while the model is still generating', async ({ model }) => {
  let generating = 0;
  let overlaps = 0;
  let firstRun: () => void = () => {};
  const started = new Promise<void>((resolve) => (firstRun = resolve));
  const watched = {
    config: model.config,
    tokenizer: model.tokenizer,
    nextTokenLogits: model.nextTokenLogits.bind(model),
    // Holds the generate call open until a program has started (5 s at most): a task that ran programs only
    // between generate calls would start none, and the check below would fail after the wait.
    generate: (async (prompts: Parameters<Model['generate']>[0], options?: Parameters<Model['generate']>[1]) => {
      generating += 1;
      try {
        const rows = await model.generate(prompts, options);
        await Promise.race([started, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        return rows;
      } finally {
        generating -= 1;
      }
    }) as Model['generate'],
  };
  const runner = async () => {
    if (generating > 0) overlaps += 1;
    firstRun();
    return { passed: false, result: 'failed: stand-in' };
  };
  const score = await evaluateTask(watched, { type: 'humaneval', limit: 4, samples: 2, maxNewTokens: 12 }, { sample: true, batchSize: 2, runner });
  checkScore(score, 'humaneval', 4);
  assert.ok(overlaps >= 1, 'no program started during generation');
});

evaluate('humaneval-x :: the language tag prompt and the task name', async ({ model }) => {
  const runner = parityRunner();
  const score = await evaluateTask(model, { type: 'humaneval', suite: 'humaneval-x', language: 'js', limit: 1, samples: 1, maxNewTokens: 16 }, { sample: true, runner });
  checkScore(score, 'humaneval-x:js', 1);
  assert.is(runner.seen[0]!.language, 'js');
});

evaluate('should refuse bad specs and options synchronously, naming the field', ({ model }) => {
  const bad = [
    [() => evaluateTask(model, { type: 'gsm8k', shots: 9 }), /an integer from 0 to 8 for spec\.shots/],
    [() => evaluateTask(model, { type: 'gsm8k', shot: 2 } as never), /only the fields .* for spec\.type gsm8k but received \["shot"\]/],
    [() => evaluateTask(model, { type: 'humaneval', samples: 2, k: [5] }), /integers from 1 to 2 \(the samples\) for spec\.k/],
    [() => evaluateTask(model, { type: 'humaneval', language: 'cobol' as never }), /for spec\.language/],
    [() => evaluateTask(model, { type: 'trivia' } as never), /'gsm8k', 'humaneval', 'mmlu' or 'rouge' for spec\.type/],
    [() => evaluateTask(model, { type: 'gsm8k' }, { seed: -1 }), /an integer ≥ 0 for seed/],
    [() => evaluateTask(model, { type: 'gsm8k' }, { instructions: [] }), /with a 'rouge' task only for instructions/],
  ] as const;
  for (const [call, message] of bad) {
    assert.throws(call, (e: Error & { code?: string }) => e.code === 'ERR_FSLLM_INVALID_ARG' && message.test(e.message));
  }
});

evaluate('should reject with ERR_FSLLM_DATA naming the path when the benchmark is missing', async ({ model }) =>
  withTempDir(async (dir) => {
    await fails(() => evaluateTask(model, { type: 'mmlu', limit: 1 }, { dataRoot: dir, cacheDir: dir }), 'ERR_FSLLM_DATA', /mmlu\/mmlu-test\.jsonl not found/, /--data-root/);
  }),
);

evaluate.run();

// ---

const sandboxed = when(
  { met: namespaces().met && onPath('python3').met, reason: `${namespaces().reason}, and python3 on PATH` },
  suite<Ctx>('evaluateTask :: humaneval in the code sandbox (the default runner)'),
);
sandboxed.before(async (ctx) => {
  ctx.model = await tinyModel();
});
sandboxed.after(async (ctx) => {
  await ctx.model.dispose();
});
sandboxed('should run the generated program isolated and say why it failed', ({ model }) =>
  withTempDir(async (dir) => {
    const score = await evaluateTask(model, { type: 'humaneval', limit: 1, samples: 1, temperature: 0, maxNewTokens: 8 }, { sample: true, outDir: dir });
    checkScore(score, 'humaneval', 1);
    assert.equal(score.metrics, { 'pass@1': 0 }, 'stories260K writes stories, not Python');
    const [row] = await jsonl<{ passed: boolean; result: string }>(path.join(dir, 'humaneval.items.jsonl'));
    assert.match(row!.result, /^failed: \w+/);
  }),
);
sandboxed.run();
