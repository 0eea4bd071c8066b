/**
 * Our side of the LoRA-step benchmark, run in its own process so its peak memory is its own:
 *   node --import tsx bench/lora-step/ourStep.ts '{"model": DIR, "workload": "fixed"|"dolly", ...}'
 * Prints one JSON line. The step matches bench/python/hf_lora_step.py: LoRA r 8, alpha 16, dropout 0.05
 * on q_proj and v_proj; AdamW lr 3e-4, weight decay 0; fp32; batches built before the timed loop.
 * Memory is reported whole (VmHWM) and split into anonymous memory and mapped-file pages (sampled), for the
 * load and for the steps; with `heldOut`, the dolly loss on held-out examples before and after training.
 */
import { binding, Model, TrainSession, type BaseDtype, type RawBatch } from '../../lib/index.js';
import { busyCpus } from '../generate/busyCpus.ts';
import { MemorySampler, procMemory, resetPeakRss } from '../procMemory.ts';
import { dollyBatches } from './dollyBatches.ts';
import { stepFlops } from './flops.js';
import { fixedBatches } from './fixedBatches.ts';

interface Args {
  model: string;
  workload: 'fixed' | 'dolly';
  batch: number;
  seq: number;
  threads: number;
  steps: number;
  warmup: number;
  seed: number;
  dolly: string;
  /** How the base is stored (default fp32) and whether blocks are recomputed in backward (default false). */
  baseDtype?: BaseDtype;
  checkpointActivations?: boolean;
  /** A tokenizer file to use instead of the one beside the weights (e.g. the HF folder's, for its GGUF). */
  tokenizer?: string;
  /** dolly only: examples held out of training, whose loss is measured before and after it (default 0). */
  heldOut?: number;
  /** LoRA targets (default q_proj and v_proj, as the HF side); the demo's step targets all seven projections. */
  targets?: string[];
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function heldOutLoss(model: Model, batches: RawBatch[]): Promise<number | null> {
  if (batches.length === 0) return null;
  const { lossSum, tokens } = await model.evalLoss(batches);
  return lossSum / tokens;
}

binding().setNumThreads(args.threads);
const sampler = new MemorySampler();
const loadStart = performance.now();
const model = await Model.load(args.model, { baseDtype: args.baseDtype ?? 'fp32', tokenizerPath: args.tokenizer });
const loadSeconds = (performance.now() - loadStart) / 1000;
const loadPeaks = sampler.take();
const loaded = procMemory()!;
await model.attachLora({ r: 8, alpha: 16, dropout: 0.05, targets: args.targets ?? ['q_proj', 'v_proj'], seed: args.seed });
const session = await TrainSession.create(model, { optimizer: { type: 'adamw', weightDecay: 0 } });
const total = args.warmup + args.steps;
const { train: batches, heldOut, skipped } = args.workload === 'fixed'
  ? { train: fixedBatches(model.config.vocabSize, total, args.batch, args.seq, args.seed), heldOut: [], skipped: 0 }
  : await dollyBatches(model.tokenizer!, { file: args.dolly, seed: args.seed, batch: args.batch, seq: args.seq, steps: total, heldOut: args.heldOut });
const heldOutLossBefore = await heldOutLoss(model, heldOut);
const baselineRss = process.memoryUsage().rss;
sampler.take();
// Resetting VmHWM resets getrusage's maxRSS too: the lifetime peak (load included) is read first.
const setupPeakRss = procMemory()!.peakRss;
// Other processes' load before the steps, and our CPU seconds per wall second during them (about `threads`
// when we had the cores): a shared machine slows a step far more than proportionally.
const otherBusyCpusStart = await busyCpus(1000);
resetPeakRss();

let tokens = 0;
let useful = 0;
let flops = 0;
let seconds = 0;
let cpuSeconds = 0;
const stepMs: number[] = [];
const losses: number[] = [];
for (let i = 0; i < total; i++) {
  const b = batches[i]!;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const m = await session.trainStep(b, { lr: 3e-4, checkpointActivations: args.checkpointActivations ?? false });
  const ms = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  losses.push(m.loss);
  if (i < args.warmup) continue;
  stepMs.push(ms);
  seconds += ms / 1000;
  cpuSeconds += (user + system) / 1e6;
  tokens += b.batch * b.seq;
  useful += m.inputTokens;
  flops += stepFlops(model.config, b, m.targetTokens);
}
const cpuUtilTimed = cpuSeconds / seconds;
const trainPeaks = sampler.take();
const trainPeakRss = procMemory()!.peakRss;
const heldOutLossAfter = await heldOutLoss(model, heldOut);
sampler.stop();
const gemm = await binding().gemmRate(1024, 576, 1536, 20);
const info = binding().runtimeInfo();
console.log(JSON.stringify({
  system: 'fsllm-native',
  workload: args.workload,
  baseDtype: model.baseDtype,
  baseBytesPerParam: model.baseBytesPerParam,
  checkpointActivations: args.checkpointActivations ?? false,
  tokensPerSec: tokens / seconds,
  usefulTokensPerSec: useful / seconds,
  stepMsP50: percentile(stepMs, 0.5),
  stepMsP90: percentile(stepMs, 0.9),
  // Process CPU time per step: on a machine shared with other jobs it moves less than wall time does.
  cpuMsPerStep: (cpuSeconds * 1000) / args.steps,
  stepFlopsPerSec: flops / seconds,
  gemmGflops: gemm.gflops,
  gemmFraction: flops / seconds / (gemm.gflops * 1e9),
  peakRssBytes: Math.max(setupPeakRss, trainPeakRss),
  trainPeakRssBytes: trainPeakRss,
  baselineRssBytes: baselineRss,
  loadSeconds,
  loadedRssBytes: loaded.rss,
  loadedAnonBytes: loaded.anon,
  loadedFileBytes: loaded.file,
  loadPeakAnonBytes: loadPeaks.anon,
  loadPeakFileBytes: loadPeaks.file,
  trainPeakAnonBytes: trainPeaks.anon,
  trainPeakFileBytes: trainPeaks.file,
  lossFirst: losses[0],
  lossLast: losses.at(-1),
  heldOutExamples: args.heldOut ?? 0,
  heldOutLossBefore,
  heldOutLoss: heldOutLossAfter,
  skippedRecords: skipped,
  rowsPerStep: batches.slice(args.warmup).reduce((n, b) => n + b.batch, 0) / args.steps,
  otherBusyCpusStart,
  cpuUtilTimed,
  threads: info.threads,
  torchVersion: info.torchVersion,
  blas: info.blas,
}));
await session.dispose();
await model.dispose();
