/**
 * Our side of the LoRA-step benchmark, run in its own process so its peak memory is its own:
 *   node --import tsx bench/lora-step/ourStep.ts '{"model": DIR, "workload": "fixed"|"dolly", ...}'
 * Prints one JSON line. The step matches bench/python/hf_lora_step.py: LoRA r 8, alpha 16, dropout 0.05
 * on q_proj and v_proj; AdamW lr 3e-4, weight decay 0; fp32; batches built before the timed loop.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { binding, Model, pack, readInstructions, TrainSession, tokenizeInstruction, type BaseDtype, type RawBatch, type TokenizedExample } from '../../lib/index.js';
import { shuffled } from '../../lib/util/random.js';
import { stepFlops } from './flops.js';

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
  /** LoRA targets (default q_proj and v_proj, as the HF side); the demo's step targets all seven projections. */
  targets?: string[];
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;

/** Peak RSS since the last reset (Linux VmHWM; clear_refs 5 resets it). */
function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux: the lifetime peak is all we get.
  }
}

function fixedBatches(vocab: number, n: number): RawBatch[] {
  let state = args.seed + 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % vocab;
  };
  return Array.from({ length: n }, () => {
    const ids = Int32Array.from({ length: args.batch * args.seq }, next);
    return { ids, labels: ids, attentionMask: new Uint8Array(ids.length).fill(1), batch: args.batch, seq: args.seq };
  });
}

async function dollyBatches(model: Model, n: number): Promise<{ batches: RawBatch[]; skipped: number }> {
  const records = shuffled(await readInstructions(args.dolly, { input: 'context', output: 'response' }), args.seed);
  const batches: RawBatch[] = [];
  let pending: TokenizedExample[] = [];
  let skipped = 0;
  for (let i = 0; batches.length < n; i++) {
    const example = tokenizeInstruction(model.tokenizer!, records[i % records.length]!, args.seq);
    if (!example) {
      skipped += 1;
      continue;
    }
    pending.push(example);
    // As this system batches: the step's examples packed into rows of `seq` tokens, no padding compute.
    if (pending.length === args.batch) {
      batches.push(pack(pending, args.seq, 0));
      pending = [];
    }
  }
  return { batches, skipped };
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

binding().setNumThreads(args.threads);
const model = await Model.load(args.model, { baseDtype: args.baseDtype ?? 'fp32' });
await model.attachLora({ r: 8, alpha: 16, dropout: 0.05, targets: args.targets ?? ['q_proj', 'v_proj'], seed: args.seed });
const session = await TrainSession.create(model, { optimizer: { type: 'adamw', weightDecay: 0 } });
const total = args.warmup + args.steps;
const { batches, skipped } = args.workload === 'fixed' ? { batches: fixedBatches(model.config.vocabSize, total), skipped: 0 } : await dollyBatches(model, total);
const baselineRss = process.memoryUsage().rss;
resetPeakRss();

let tokens = 0;
let useful = 0;
let flops = 0;
let seconds = 0;
const stepMs: number[] = [];
// Process CPU time per step: on a machine shared with other jobs it moves less than wall time does.
let cpuMicros = 0;
const losses: number[] = [];
for (let i = 0; i < total; i++) {
  const b = batches[i]!;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const m = await session.trainStep(b, { lr: 3e-4, checkpointActivations: args.checkpointActivations ?? false });
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  losses.push(m.loss);
  if (i < args.warmup) continue;
  stepMs.push(ms);
  cpuMicros += cpu.user + cpu.system;
  seconds += ms / 1000;
  tokens += b.batch * b.seq;
  useful += m.inputTokens;
  flops += stepFlops(model.config, b, m.targetTokens);
}
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
  cpuMsPerStep: cpuMicros / 1000 / args.steps,
  stepFlopsPerSec: flops / seconds,
  gemmGflops: gemm.gflops,
  gemmFraction: flops / seconds / (gemm.gflops * 1e9),
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  trainPeakRssBytes: peakRss(),
  baselineRssBytes: baselineRss,
  lossFirst: losses[0],
  lossLast: losses.at(-1),
  skippedRecords: skipped,
  rowsPerStep: batches.slice(args.warmup).reduce((n, b) => n + b.batch, 0) / args.steps,
  threads: info.threads,
  torchVersion: info.torchVersion,
  blas: info.blas,
}));
await session.dispose();
await model.dispose();
