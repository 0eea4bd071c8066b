/** `fsllm eval`: one benchmark task on a model (with its adapter), or on completions made elsewhere. */
import path from 'node:path';

import { fsllmError, FsllmError } from '../errors/index.js';
import { evaluateTask } from '../eval/evaluateTask.js';
import { sandboxRunner } from '../eval/sandboxRunner.js';
import { scoreCompletions } from '../eval/scoreCompletions.js';
import { detailStem, type TaskRunOptions } from '../eval/taskHarness.js';
import { taskName, type TaskScore } from '../eval/taskSpec.js';
import { checkDevice } from '../native/device.js';
import { Model } from '../native/Model.js';
import { loadAdapter } from '../native/peftAdapter.js';
import { embedded } from './assets.js';
import { parseEvalArgs, type EvalArgs } from './evalArgs.js';
import { Progress } from './progress.js';

export const EVAL_USAGE = `fsllm eval --task gsm8k|humaneval|humaneval-x:LANG|mmlu|rouge [--model PATH] [--adapter DIR]
           [--limit N] [--shots K] [--style cot|alpaca] [--samples N] [--k 1,5] [--temperature T]
           [--max-new-tokens N] [--batch-size N] [--seed S] [--data-root DIR] [--sample] [--out DIR] [--device D]
           [--allow-network] [--json] [--progress]
fsllm eval --task gsm8k|humaneval|humaneval-x:LANG|rouge --completions FILE.jsonl [--k 1,5] [--data-root DIR] [--sample]
           [--out DIR] [--allow-network] [--json]
  Scores a model on a benchmark as the reference protocols do (FS-LLM, FedBiOT, human-eval, CodeGeeX):
  gsm8k accuracy (8-shot chain of thought; --style alpaca --shots 0 for FedBiOT's prompt), humaneval and
  humaneval-x:LANG pass@k (LANG: cpp, go, java, js, python, rust; 5 samples per task, programs run in the code
  sandbox), mmlu accuracy from next-token logits (5-shot per subject; micro and macro), rouge: ROUGE-L F1 of
  greedy responses to Dolly-15k rows (seeded choice) in the Alpaca template.
  --model     HF folder, GGUF or llama2.c .bin (default: the embedded stories260K)
  --adapter   a PEFT LoRA adapter folder
  --limit     the first N items (mmlu: spread over the subjects; rouge: the first N of a seeded shuffle)
  --data-root a folder laid out like shared/datasets (gsm8k/test.jsonl, humaneval/HumanEval.jsonl.gz,
              humaneval-x/humaneval_LANG.jsonl.gz, mmlu/mmlu-test.jsonl, dolly-15k/...); otherwise files are
              downloaded from pinned upstream commits into ~/.cache/fsllm-native/datasets (mmlu: data root only)
  --sample    score the samples committed under assets/data instead (no download)
  --out       write DIR/<task>.items.jsonl (per item; humaneval: human-eval's results rows), .tasks.jsonl,
              .subjects.json, .score.json, and the journal that lets the same command resume after Ctrl-C
  --completions  score {task_id, completion} rows (humaneval, as human-eval's sample files) or
              {index, completion} rows (gsm8k: row of the test file; rouge: row of the data set), no model
  --batch-size  prompts generated together (default 16; more is faster and takes more memory)
  --allow-network  run HumanEval programs even where the sandbox cannot give them a network namespace of
              their own (otherwise such a machine refuses); they keep their limits and own directory
  --json      print nothing but the final line (progress only with --progress)
  --progress  draw progress even when stderr is not a terminal
  Prints one JSON line last: {"task", "n", ...metrics, "generatedTokens", "seconds"}.`;

export async function evalCommand(argv: string[]): Promise<void> {
  const args = parseEvalArgs(argv);
  const journal = args.out === undefined ? undefined : path.join(args.out, `${detailStem(taskName(args.spec))}.journal.jsonl`);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  let progress: Progress | undefined;
  let done = 0;
  let total = 0;
  const showProgress = args.progress || (!args.json && Boolean(process.stderr.isTTY));
  const options: TaskRunOptions = {
    signal: controller.signal,
    seed: args.seed,
    sample: args.sample,
    ...(args.batchSize === undefined ? {} : { batchSize: args.batchSize }),
    ...(args.allowNetwork ? { runner: sandboxRunner({ allowNetwork: true }) } : {}),
    ...(args.dataRoot === undefined ? {} : { dataRoot: args.dataRoot }),
    ...(args.out === undefined ? {} : { outDir: args.out }),
    onProgress: (d, t) => {
      [done, total] = [d, t];
      if (!showProgress || t === 0) return;
      progress ??= new Progress(taskName(args.spec), t);
      progress.update(d, '');
    },
  };
  let score: TaskScore;
  try {
    score = args.completions !== undefined ? await scoreCompletions(args.spec, args.completions, options) : await evaluateWithModel(args, { ...options, ...(journal ? { journal } : {}) });
  } catch (err) {
    if (progress !== undefined && process.stderr.isTTY) process.stderr.write('\n');
    if (err instanceof FsllmError && err.code === 'ERR_FSLLM_ABORTED') {
      const next = journal ? `run the same command again to resume (journal ${journal})` : 'pass --out DIR to make an evaluation resumable';
      throw fsllmError('ERR_FSLLM_ABORTED', `evaluation stopped after ${done} of ${total} items; ${next}`, { cause: err });
    }
    throw err;
  }
  if (!args.json) process.stderr.write(`${summary(score, args.out)}\n`);
  process.stdout.write(`${JSON.stringify({ task: score.task, n: score.n, ...score.metrics, generatedTokens: score.generatedTokens, seconds: round(score.seconds) })}\n`);
}

async function evaluateWithModel(args: EvalArgs, options: TaskRunOptions): Promise<TaskScore> {
  const modelPath = args.model ?? embedded.model;
  const model = await Model.load(modelPath, { device: checkDevice(args.device, '--device') });
  try {
    if (args.adapter !== undefined) await loadAdapter(model, args.adapter);
    // The journal refuses items of another model or adapter.
    const modelId = path.resolve(modelPath) + (args.adapter === undefined ? '' : ` + ${path.resolve(args.adapter)}`);
    return await evaluateTask(model, args.spec, { ...options, modelId });
  } finally {
    await model.dispose();
  }
}

function summary(score: TaskScore, out: string | undefined): string {
  const metrics = Object.entries(score.metrics).map(([name, value]) => `${name} ${Number.isFinite(value) ? value.toFixed(4) : '-'}`).join(', ');
  const resumed = score.resumed ? `, ${score.resumed} resumed from the journal` : '';
  const details = out === undefined ? '' : `; details in ${out}`;
  return `${score.task}: ${metrics || 'no metric'} over ${score.n} items${resumed}, ${score.generatedTokens} tokens generated in ${score.seconds.toFixed(1)} s${details}`;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
