/**
 * `npm run bench -- base-dtype [--model DIR] [--steps N] [--threads T]`: what storing the frozen base below
 * fp32 (Model.load's baseDtype) and activation checkpointing cost and save on a real model. One LoRA step
 * configuration (bench/lora-step/ourStep.ts: SmolLM2-135M, r 8 on q/v, AdamW, fixed 4 x 256 batches) runs in
 * a child process per setting, so each peak RSS is its own: fp32, bf16, fp16, int8 and q4 bases, then fp32 with
 * checkpointing. The last line is JSON: per setting tokens/s, peak RSS while training, base bytes per
 * parameter, and the ratios against the fp32 base (tokensPerSecRatio target >= 0.8 for bf16 and int8).
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { runJsonChild } from '../children.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SETTINGS = [
  { name: 'fp32', baseDtype: 'fp32', checkpointActivations: false },
  { name: 'bf16', baseDtype: 'bf16', checkpointActivations: false },
  { name: 'fp16', baseDtype: 'fp16', checkpointActivations: false },
  { name: 'int8', baseDtype: 'int8', checkpointActivations: false },
  { name: 'q4', baseDtype: 'q4', checkpointActivations: false },
  { name: 'fp32+checkpoint', baseDtype: 'fp32', checkpointActivations: true },
] as const;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: path.join(os.homedir(), '.cache', 'fsllm-native', 'models', 'smollm2-135m') },
      steps: { type: 'string', default: '5' },
      threads: { type: 'string', default: String(os.availableParallelism()) },
    },
  });
  const threads = Number(values.threads);
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), FSLLM_NUM_THREADS: String(threads) };
  const common = { model: values.model, workload: 'fixed', batch: 4, seq: 256, threads, steps: Number(values.steps), warmup: 1, seed: 0, dolly: '' };
  const results: Record<string, Record<string, unknown>> = {};
  for (const s of SETTINGS) {
    const args = JSON.stringify({ ...common, baseDtype: s.baseDtype, checkpointActivations: s.checkpointActivations });
    results[s.name] = runJsonChild('base-dtype', process.execPath, ['--import', 'tsx', path.join(here, '..', 'lora-step', 'ourStep.ts'), args], s.name, env);
  }
  const fp32 = results['fp32']!;
  const num = (r: Record<string, unknown>, k: string) => r[k] as number;
  const summary = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, {
    tokensPerSec: num(r, 'tokensPerSec'),
    tokensPerSecRatio: num(r, 'tokensPerSec') / num(fp32, 'tokensPerSec'),
    trainPeakRssBytes: num(r, 'trainPeakRssBytes'),
    peakRssRatio: num(r, 'trainPeakRssBytes') / num(fp32, 'trainPeakRssBytes'),
    baseBytesPerParam: num(r, 'baseBytesPerParam'),
    lossFirst: num(r, 'lossFirst'),
    lossLast: num(r, 'lossLast'),
  }]));
  console.log(JSON.stringify({ name: 'base-dtype', model: values.model, workload: 'fixed 4 x 256, LoRA r 8 on q/v', threads, steps: common.steps, settings: summary }));
}
