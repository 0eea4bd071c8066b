// The evaluation journal: its file format on its own, then resuming real evaluations (stories260K) that an
// AbortSignal stopped half-way: no finished item is generated again and the final score equals an
// uninterrupted run's.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { EvalJournal, evaluateTask, type CodeProgram, type TaskScore, type TaskSpec } from '../../lib/eval/index.js';
import type { Model } from '../../lib/index.js';
import { fsllmError } from '../../lib/errors/index.js';
import { fails } from '../helpers/errors.js';
import { tinyModel } from '../helpers/tinyModel.js';
import { countingModel } from './_countingModel.js';
import { withTempDir } from './_support.js';

async function lines(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

const journal = suite('EvalJournal');

journal('should read back items, later lines of a key adding to earlier ones', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, 'sub', 'j.jsonl');
    const first = await EvalJournal.open(file, 'humaneval', { shots: 1 });
    await first.add(3, 1, { completion: 'x' });
    await first.add(3, 1, { passed: true });
    await first.close();
    const again = await EvalJournal.open(file, 'humaneval', { shots: 1 });
    assert.equal(again.get(3, 1), { task: 'humaneval', index: 3, sample: 1, completion: 'x', passed: true });
    assert.is(again.get(3, 0), undefined);
    await again.close();
    assert.is((await lines(file)).length, 3, 'one header, two item lines');
  }),
);

journal('should cut off a torn last line and append after it', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, 'j.jsonl');
    const first = await EvalJournal.open(file, 'gsm8k', {});
    await first.add(0, 0, { completion: 'a' });
    await first.close();
    await appendFile(file, '{"task":"gsm8k","index":1,"sample":0,"compl');
    const again = await EvalJournal.open(file, 'gsm8k', {});
    assert.is(again.get(1), undefined);
    await again.add(1, 0, { completion: 'b' });
    await again.close();
    assert.equal((await lines(file)).map((l) => l['completion']), [undefined, 'a', 'b']);
  }),
);

journal('should keep tasks apart and refuse a task of another setting, naming the journal', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, 'j.jsonl');
    const gsm = await EvalJournal.open(file, 'gsm8k', { shots: 8 });
    await gsm.add(0, 0, { completion: 'a' });
    await gsm.close();
    const mmlu = await EvalJournal.open(file, 'mmlu', { shots: 5 });
    assert.is(mmlu.get(0), undefined);
    await mmlu.close();
    await fails(() => EvalJournal.open(file, 'gsm8k', { shots: 4 }), 'ERR_FSLLM_INVALID_ARG', /journal .*j\.jsonl to hold gsm8k items of this setting/, /\{"shots":8\}, not \{"shots":4\}/);
  }),
);

journal('should refuse a damaged line before the last with ERR_FSLLM_DATA', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, 'j.jsonl');
    await writeFile(file, 'not json\n{"task":"gsm8k"}\n');
    await fails(() => EvalJournal.open(file, 'gsm8k', {}), 'ERR_FSLLM_DATA', /j\.jsonl line 1: not a journal line/);
  }),
);

journal.run();

// ---

type Ctx = { model: Model };

function sameScore(resumed: TaskScore, whole: TaskScore): void {
  assert.equal({ ...resumed, seconds: 0, resumed: 0 }, { ...whole, seconds: 0, resumed: 0 });
}

const resume = suite<Ctx>('evaluateTask :: journal resume');
resume.before(async (ctx) => {
  ctx.model = await tinyModel();
});
resume.after(async (ctx) => {
  await ctx.model.dispose();
});

resume('gsm8k :: the finished problems are not generated again; the score equals an uninterrupted run', ({ model }) =>
  withTempDir(async (dir) => {
    const spec: TaskSpec = { type: 'gsm8k', style: 'alpaca', limit: 5, maxNewTokens: 16 };
    const whole = await evaluateTask(model, spec, { sample: true });
    const file = path.join(dir, 'journal.jsonl');
    // A signal from onProgress raced generation (rows are journaled while the next ones generate): on a busy
    // machine all five could finish first. The stand-in stops after exactly two problems instead.
    const first = countingModel(model, 2);
    await fails(() => evaluateTask(first, spec, { sample: true, batchSize: 1, journal: file }), 'ERR_FSLLM_ABORTED');
    const finished = (await lines(file)).filter((l) => l['index'] !== undefined).length;
    assert.is(finished, 2, 'the problems finished before the stop are journaled');
    assert.is(first.generatedRows, finished);
    const second = countingModel(model);
    const score = await evaluateTask(second, spec, { sample: true, batchSize: 1, journal: file });
    assert.is(second.generatedRows, 5 - finished);
    assert.is(score.resumed, finished);
    sameScore(score, whole);
  }),
);

resume('humaneval :: each sample journaled once across the stop, no journaled result run again; pass@k as uninterrupted', ({ model }) =>
  withTempDir(async (dir) => {
    let runs = 0;
    // Honours the signal as the sandbox does, so the stop ends the run whether it lands during generation or
    // between programs (they run while the model generates).
    const runner = async (program: CodeProgram, options?: { signal?: AbortSignal }) => {
      if (options?.signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', 'stand-in runner aborted');
      runs += 1;
      return { passed: program.source.length % 3 === 0, result: 'stand-in' };
    };
    const spec: TaskSpec = { type: 'humaneval', limit: 3, samples: 2, maxNewTokens: 16 };
    const whole = await evaluateTask(model, spec, { sample: true, runner });
    const file = path.join(dir, 'j.jsonl');
    const controller = new AbortController();
    const first = countingModel(model);
    const onProgress = (done: number) => done >= 1 && controller.abort();
    await fails(() => evaluateTask(first, spec, { sample: true, batchSize: 1, runner, journal: file, signal: controller.signal, onProgress }), 'ERR_FSLLM_ABORTED');
    const journaled = await lines(file);
    const generated = new Set(journaled.filter((l) => l['completion'] !== undefined).map((l) => `${l['index']}/${l['sample']}`));
    const scored = journaled.filter((l) => l['passed'] !== undefined).length;
    assert.ok(generated.size >= 1, 'the first sample was generated before the stop');
    assert.ok(scored >= 1 && scored < 6, `${scored} samples scored before the stop`);
    // A task's samples share one prefill: a task with a sample left is generated whole, the finished one dropped.
    const tasksLeft = [0, 1, 2].filter((t) => !generated.has(`${t}/0`) || !generated.has(`${t}/1`)).length;
    runs = 0;
    const second = countingModel(model);
    const score = await evaluateTask(second, spec, { sample: true, batchSize: 1, runner, journal: file });
    assert.is(second.generatedPrompts, tasksLeft);
    assert.is(runs, 6 - scored, 'the resumed run runs exactly the samples without a journaled result');
    const completions = (await lines(file)).filter((l) => l['completion'] !== undefined).map((l) => `${l['index']}/${l['sample']}`);
    assert.is(completions.length, 6, 'each sample journaled once');
    assert.is(new Set(completions).size, 6);
    assert.is(score.resumed, scored);
    sameScore(score, whole);
  }),
);

resume('rouge :: a journal of another model is refused', ({ model }) =>
  withTempDir(async (dir) => {
    const file = path.join(dir, 'j.jsonl');
    await evaluateTask(model, { type: 'rouge', limit: 1, maxNewTokens: 4 }, { sample: true, journal: file, modelId: 'a' });
    await fails(() => evaluateTask(model, { type: 'rouge', limit: 1, maxNewTokens: 4 }, { sample: true, journal: file, modelId: 'b' }), 'ERR_FSLLM_INVALID_ARG', /"model":"a"/);
  }),
);

resume.run();
