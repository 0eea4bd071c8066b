/**
 * `npm run bench -- big-model [options]`: does a real-size model train with its base below fp32 (issue 14)?
 *   1. a random LLaMA-2-7B-shaped model, written by this bench as a Q4_0 GGUF into the cache folder (reused
 *      while the shape and seed stay), one LoRA step with a q4 and a bf16 base: peak RSS (targets 8 and
 *      16 GiB), step seconds, base bytes per parameter, the loss (finite?);
 *   2. SmolLM2-135M-Instruct (bench/fetch-model.mjs), LoRA-trained on dolly with each base dtype: tokens/s
 *      against the fp32 base (target >= 0.8 for bf16 and int8) and the held-out loss after training.
 * Options: --steps N (SmolLM2 training steps, 50) --held-out N (held-out dolly examples, 64) --threads T
 * --skip-7b --skip-smollm2 --smollm2 NAMES (SmolLM2 settings besides fp32, comma-separated, e.g. fp16,q4: each
 *   takes ~15 min at 50 steps here) --layers L (7B blocks, 32) --seed S (0) --cache DIR --model DIR --dolly FILE
 * --rss-cap-gib G (a 7B child above this RSS is stopped: default 17, just above the larger target, so a
 *   stopped run has missed its target anyway; less on a machine with under 20 GiB).
 * The last line is JSON; progress goes to stderr.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { sharedDatasets } from '../sharedData.ts';
import { runLlama7b } from './llama7b.ts';
import { runSmolLm2 } from './smolLm2.ts';

const cache = path.join(os.homedir(), '.cache', 'fsllm-native');

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string', default: '50' },
      'held-out': { type: 'string', default: '64' },
      threads: { type: 'string', default: String(os.availableParallelism()) },
      'skip-7b': { type: 'boolean', default: false },
      'skip-smollm2': { type: 'boolean', default: false },
      smollm2: { type: 'string' },
      layers: { type: 'string', default: '32' },
      seed: { type: 'string', default: '0' },
      cache: { type: 'string', default: path.join(cache, 'bench', 'big-model') },
      model: { type: 'string', default: path.join(cache, 'models', 'smollm2-135m') },
      dolly: { type: 'string', default: path.join(sharedDatasets, 'dolly-15k', 'databricks-dolly-15k.jsonl') },
      'rss-cap-gib': { type: 'string', default: String(Math.min(17, Math.floor(os.totalmem() / 2 ** 30) - 3)) },
    },
  });
  const threads = Number(values.threads);
  const seed = Number(values.seed);
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), FSLLM_NUM_THREADS: String(threads) };
  const llama7b = values['skip-7b'] ? null : await runLlama7b({
    layers: Number(values.layers), seed, cacheDir: values.cache, rssCapBytes: Number(values['rss-cap-gib']) * 2 ** 30, env, threads,
  });
  const smolLm2 = values['skip-smollm2'] ? null : await runSmolLm2({
    model: values.model, dolly: values.dolly, steps: Number(values.steps), heldOut: Number(values['held-out']), seed, threads, env,
    ...(values.smollm2 ? { only: values.smollm2.split(',') } : {}),
  });
  console.log(JSON.stringify({
    name: 'big-model',
    threads,
    llama7b: llama7b && { ...llama7b, workload: 'fixed 1 x 256, LoRA r 8 on q/v, one step' },
    smolLm2: smolLm2 && { workload: `dolly 8 x 256 packed, LoRA r 8 on q/v, ${values.steps} steps, ${values['held-out']} held-out examples`, settings: smolLm2 },
  }));
}
