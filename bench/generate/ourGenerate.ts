/**
 * Our side of the generate benchmark, in its own process so that the BLAS thread pool is sized by the
 * environment the bench set (OpenBLAS reads OPENBLAS_NUM_THREADS when the addon loads):
 *   node --import tsx bench/generate/ourGenerate.ts '{"model": DIR, "dataRoot": DIR, "workDir": DIR, ...}'
 * Tokenizes the prompts once and writes them to `<workDir>/prompts.json` (the anchor decodes the same ids),
 * generates, writes each row's ids to `<workDir>/ours-ids.json` and prints one JSON line.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { binding, Model, setNumThreads } from '../../lib/index.js';
import { gsm8kPrompt, locateBenchmark, readGsm8k } from '../../lib/eval/index.js';
import { busyCpus } from './busyCpus.ts';

interface Args {
  model: string;
  dataRoot: string;
  workDir: string;
  prompts: number;
  batch: number;
  maxNewTokens: number;
  threads: number;
  runs: number;
}

/** What one pass over a batch took. */
interface BatchTiming {
  seconds: number;
  prefillSeconds: number;
  ids: number[][];
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/**
 * One Model.generate call over `prompts` (one native batch). Prefill ends when the first text arrives: the
 * native loop reports a step only after every prompt's forward and the first argmax, and the JS thread is
 * idle meanwhile, so the callback runs within microseconds of that.
 */
async function timeBatch(model: Model, prompts: number[][], maxNewTokens: number): Promise<BatchTiming> {
  let first: number | undefined;
  const start = performance.now();
  const rows = await model.generate(prompts, {
    maxNewTokens,
    temperature: 0,
    batchSize: prompts.length,
    onText: () => {
      first ??= performance.now();
    },
  });
  const end = performance.now();
  return { seconds: (end - start) / 1000, prefillSeconds: ((first ?? end) - start) / 1000, ids: rows.map((r) => r.ids) };
}

setNumThreads(args.threads);
const model = await Model.load(args.model);
const tokenizer = model.tokenizer;
if (!tokenizer || tokenizer.eosId === null) throw new Error(`${args.model}: the benchmark needs a tokenizer with an EOS token`);
const file = await locateBenchmark('gsm8k', { dataRoot: args.dataRoot, download: false });
const items = (await readGsm8k(file)).slice(0, args.prompts);
// FedBiOT's zero-shot Alpaca prompt (style 'alpaca' defaults to 0 exemplars).
const prompts = items.map((item) => tokenizer.encode(gsm8kPrompt(item, { style: 'alpaca' })));
const eosIds = [tokenizer.eosId];
writeFileSync(path.join(args.workDir, 'prompts.json'), JSON.stringify({ source: file, eosIds, prompts }));
const batches: number[][][] = [];
for (let i = 0; i < prompts.length; i += args.batch) batches.push(prompts.slice(i, i + args.batch));

// Warm-up (untimed), as the anchor: the first batch, a few tokens.
await timeBatch(model, batches[0]!, 4);

const loadAvg1mStart = os.loadavg()[0];
const otherBusyCpusStart = await busyCpus();
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const runs: { seconds: number; prefillSeconds: number; ids: number[][] }[] = [];
for (let run = 0; run < args.runs; run++) {
  const timings: BatchTiming[] = [];
  for (const [b, batch] of batches.entries()) {
    const t = await timeBatch(model, batch, args.maxNewTokens);
    timings.push(t);
    const tokens = t.ids.reduce((n, r) => n + r.length, 0);
    console.error(`ourGenerate: run ${run + 1}/${args.runs} batch ${b + 1}/${batches.length}: ${t.seconds.toFixed(2)}s (prefill ${t.prefillSeconds.toFixed(2)}s), ${tokens} tokens`);
  }
  runs.push({
    seconds: timings.reduce((s, t) => s + t.seconds, 0),
    prefillSeconds: timings.reduce((s, t) => s + t.prefillSeconds, 0),
    ids: timings.flatMap((t) => t.ids),
  });
}
const cpu = process.cpuUsage(cpu0);
const cpuUtilTimed = (cpu.user + cpu.system) / 1e6 / ((performance.now() - wall0) / 1000);

const ids = runs[0]!.ids;
writeFileSync(path.join(args.workDir, 'ours-ids.json'), JSON.stringify(ids));
const genTokens = ids.reduce((n, r) => n + r.length, 0);
const promptTokens = prompts.reduce((n, p) => n + p.length, 0);
const seconds = median(runs.map((r) => r.seconds));
const prefillSeconds = median(runs.map((r) => r.prefillSeconds));
const decodeSeconds = median(runs.map((r) => r.seconds - r.prefillSeconds));
const info = binding().runtimeInfo();
console.log(JSON.stringify({
  system: 'fsllm-native',
  genTokensPerSec: genTokens / seconds,
  // The prefill yields each row's first token; the decode steps yield the rest (as the anchor counts).
  prefillTokensPerSec: promptTokens / prefillSeconds,
  decodeTokensPerSec: (genTokens - prompts.length) / decodeSeconds,
  seconds,
  prefillSeconds,
  decodeSeconds,
  genTokens,
  promptTokens,
  prompts: prompts.length,
  batch: args.batch,
  maxNewTokens: args.maxNewTokens,
  runs: args.runs,
  runSeconds: runs.map((r) => r.seconds),
  idsStableAcrossRuns: runs.every((r) => JSON.stringify(r.ids) === JSON.stringify(ids)),
  threads: info.threads,
  torchVersion: info.torchVersion,
  blas: info.blas,
  otherBusyCpusStart,
  cpuUtilTimed,
  loadAvg1mStart,
  loadAvg1mEnd: os.loadavg()[0],
  model: args.model,
}));
await model.dispose();
