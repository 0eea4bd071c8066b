/**
 * `npm run bench -- peft-methods [--model PATH] [--data-root DIR] [--rounds N] [--steps N] [--clients N]
 * [--subsample F] [--tok-len T] [--rouge-limit N] [--max-new-tokens M] [--methods a,b] [--lr name=lr,...] [--sweep]`:
 * FS-LLM's four PEFT methods (LoRA, prompt tuning, P-tuning, prefix tuning with and without projection) on the same
 * federated Fed-Dolly job (Dolly-15k split by category, 8 clients), same seeds, rounds, clients and local
 * steps, each at its own lr (methods.ts; `--sweep` runs the short lr sweep that chose them instead).
 * Default model: the embedded stories260K. Also sizes each method's LLaMA-7B message from shapes, next to
 * FS-LLM Table 3. Progress on stderr; the last stdout line is JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { embedded } from '../../lib/cli/assets.js';
import { Model } from '../../lib/index.js';
import { dataRoot } from '../sharedData.ts';
import { checkShapes } from './adapterShapes.ts';
import { runJob, type JobSetup, type RunOutcome } from './fedRun.ts';
import { llama7bMessages } from './llama7bMessages.ts';
import { lrSweep } from './lrSweep.ts';
import { overrideLrs, pickMethods } from './methods.ts';

function argValue(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

function numberArg(argv: string[], name: string, fallback: number): number {
  const raw = argValue(argv, name);
  const v = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}: expected a positive number, got ${raw}`);
  return v;
}

export async function run(argv: string[]): Promise<void> {
  const modelPath = argValue(argv, '--model') ?? embedded.model;
  const sweeping = argv.includes('--sweep');
  const rounds = numberArg(argv, '--rounds', sweeping ? 3 : 5);
  const setup: JobSetup = {
    modelPath,
    dataRoot: dataRoot(argValue(argv, '--data-root'), 'dolly-15k/'),
    rounds,
    localSteps: numberArg(argv, '--steps', 10),
    batchSize: 4,
    tokLen: numberArg(argv, '--tok-len', 256),
    subsample: numberArg(argv, '--subsample', 0.1),
    sampleClients: numberArg(argv, '--clients', 8),
    seed: 0,
    rougeLimit: numberArg(argv, '--rouge-limit', 8),
    maxNewTokens: numberArg(argv, '--max-new-tokens', 64),
    rouge: !sweeping,
  };
  const methods = overrideLrs(pickMethods(argValue(argv, '--methods')), argValue(argv, '--lr'));

  // The 7B table rests on adapterShapes; hold it against the library on the model at hand first.
  const model = await Model.load(modelPath);
  try {
    await checkShapes(model, [...methods.map((m) => m.adapter), { method: 'p-tuning', encoder: 'lstm' }]);
  } finally {
    await model.dispose();
  }

  const out = mkdtempSync(path.join(os.tmpdir(), 'fsllm-peft-methods-'));
  // The paths are this machine's; the JSON keeps the model's name only.
  const common = { name: 'peft-methods', model: path.basename(modelPath), setup: { ...setup, dataRoot: undefined, modelPath: undefined } };
  try {
    if (sweeping) {
      console.log(JSON.stringify({ ...common, mode: 'sweep', ...(await lrSweep(setup, methods, out)) }));
      return;
    }
    const results: Record<string, RunOutcome> = {};
    for (const m of methods) {
      const r = await runJob(setup, m.adapter, m.lr, path.join(out, m.name));
      results[m.name] = r;
      process.stderr.write(`${m.name} (lr ${m.lr}): test loss ${r.startLoss.toFixed(4)} -> ${r.finalLoss.toFixed(4)}, ROUGE-L ${r.rougeLStart?.toFixed(4)} -> ${r.rougeL?.toFixed(4)}, ` +
        `${r.trainableParameters} trainable, ${r.messageBytes} B/message, ${r.seconds.toFixed(0)} s\n`);
    }
    // A diverged run's NaN loss must not win (or break) the sort.
    const by = (key: 'finalLoss' | 'messageBytes') => Object.entries(results).filter(([, r]) => Number.isFinite(r[key])).sort((a, b) => a[1][key] - b[1][key])[0]?.[0];
    const byRouge = Object.entries(results).sort((a, b) => (b[1].rougeL ?? -1) - (a[1].rougeL ?? -1))[0]?.[0];
    console.log(JSON.stringify({ ...common, methods: results, lowestLoss: by('finalLoss'), highestRougeL: byRouge, smallestMessage: by('messageBytes'), llama7b: await llama7bMessages() }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
