/**
 * `npm run bench -- lora-step`: one LoRA training step on SmolLM2-135M's architecture, fsllm-native vs
 * PyTorch + HF PEFT (bench/python/hf_lora_step.py), same machine, run one after another (never at once:
 * each needs the cores and several GB). Ends with one JSON line of ratios (ours / theirs).
 *   options: --steps N (10) --warmup W (2) --threads T (2) --model DIR --dolly FILE --python PY --skip-anchor
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { defaultPython, runJsonChild } from '../children.ts';
import { sharedDatasets } from '../sharedData.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      threads: { type: 'string', default: '2' },
      model: { type: 'string', default: process.env.FSLLM_BENCH_MODEL_DIR ?? path.join(os.homedir(), '.cache', 'fsllm-native', 'models', 'smollm2-135m') },
      dolly: { type: 'string', default: path.join(sharedDatasets, 'dolly-15k', 'databricks-dolly-15k.jsonl') },
      python: { type: 'string' },
      'skip-anchor': { type: 'boolean', default: false },
    },
  });
  if (!existsSync(path.join(values.model, 'config.json'))) throw new Error(`no model at ${values.model}: run \`node bench/fetch-model.mjs\` first`);
  const common = { steps: Number(values.steps), warmup: Number(values.warmup), threads: Number(values.threads), seed: 0, seq: 256 };
  // OpenBLAS keeps its own thread pool: pin it too so both sides use exactly `threads` cores.
  const env = { ...process.env, OPENBLAS_NUM_THREADS: values.threads, OMP_NUM_THREADS: values.threads, FSLLM_NUM_THREADS: values.threads };
  const ours = (workload: 'fixed' | 'dolly', batch: number) =>
    runJsonChild('lora-step', process.execPath, ['--import', 'tsx', path.join(here, 'ourStep.ts'), JSON.stringify({ ...common, model: values.model, workload, batch, dolly: values.dolly })], `fsllm-native ${workload}`, env);
  const python = values.python ?? defaultPython();
  const anchor = (workload: 'fixed' | 'dolly') => {
    if (values['skip-anchor'] || !python) return null;
    return runJsonChild('lora-step', python, [path.join(root, 'bench', 'python', 'hf_lora_step.py'), '--model', values.model, '--workload', workload,
      '--steps', values.steps, '--warmup', values.warmup, '--threads', values.threads, '--dolly', values.dolly], `HF PEFT ${workload}`, env);
  };

  // The first heavy process after an idle spell ran ~20% slower here (CPU clocks or VM scheduling): warm
  // the machine with a short untimed run so whichever system goes first is not penalised.
  runJsonChild('lora-step', process.execPath, ['--import', 'tsx', path.join(here, 'ourStep.ts'), JSON.stringify({ ...common, steps: 3, warmup: 1, model: values.model, workload: 'fixed', batch: 4, dolly: values.dolly })], 'machine warm-up (discarded)', env);
  const oursFixed = ours('fixed', 4);
  const oursDolly = ours('dolly', 8);
  const hfFixed = anchor('fixed');
  const hfDolly = anchor('dolly');
  if (!python && !values['skip-anchor']) console.error('lora-step: no anchor venv (run bench/setup); ratios omitted');

  const num = (o: Record<string, unknown> | null, k: string) => (o ? Number(o[k]) : NaN);
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null);
  const summary = {
    name: 'lora-step',
    model: values.model,
    shapes: { fixed: '4x256, no padding', dolly: 'batch 8 Dolly examples, truncated to 256 (ours packed, HF padded to longest)' },
    threads: common.threads,
    steps: common.steps,
    tokensPerSecRatio: ratio(num(oursDolly, 'usefulTokensPerSec'), num(hfDolly, 'usefulTokensPerSec')),
    fixedShapeRatio: ratio(num(oursFixed, 'tokensPerSec'), num(hfFixed, 'tokensPerSec')),
    peakMemRatio: ratio(
      Math.max(num(oursFixed, 'trainPeakRssBytes'), num(oursDolly, 'trainPeakRssBytes')),
      Math.max(num(hfFixed, 'trainPeakRssBytes'), num(hfDolly, 'trainPeakRssBytes')),
    ),
    gemmFraction: num(oursFixed, 'gemmFraction'),
    gemmFractionDolly: num(oursDolly, 'gemmFraction'),
    ours: { fixed: oursFixed, dolly: oursDolly },
    anchor: { fixed: hfFixed, dolly: hfDolly },
    libtorch: { ours: oursFixed.torchVersion, anchor: hfFixed?.torchVersion ?? null },
  };
  console.log(JSON.stringify(summary));
}
