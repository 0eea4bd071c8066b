/**
 * The SmolLM2-135M half of the big-model bench: the same LoRA training on real instruction data (dolly, batch
 * 8 x 256 packed, same seed and batches) with the base stored as fp32, bf16, fp16, int8 and q4, each in a child
 * process (bench/lora-step/ourStep.ts), then each one's loss on held-out dolly examples. A sixth setting loads
 * the model's Q4_1 GGUF with a q4 base, keeping its blocks as they are: the HF folder is those very blocks
 * decoded to fp32, so it trains on the same weights as fp32, where the q4 setting re-quantises them to Q4_0.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runJsonChild } from '../children.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const GGUF_NAME = 'SmolLM2-135M-Instruct.Q4_1.gguf';
/** The floor on tokens/s against the fp32 base (bf16 and int8). */
const RATIO_TARGET = 0.8;
const RATIO_TARGETED = new Set(['bf16', 'int8']);

export interface SmolLm2Options {
  /** The HF folder of bench/fetch-model.mjs (its GGUF beside it). */
  model: string;
  dolly: string;
  /** Training steps, the first untimed (warm-up). */
  steps: number;
  heldOut: number;
  seed: number;
  threads: number;
  env: NodeJS.ProcessEnv;
  /** Settings to run besides fp32 (the reference, always run), by name; all when absent. */
  only?: string[];
}

export async function runSmolLm2(o: SmolLm2Options): Promise<Record<string, unknown>> {
  const gguf = path.join(o.model, GGUF_NAME);
  const settings = [
    ...(['fp32', 'bf16', 'fp16', 'int8', 'q4'] as const).map((d) => ({ name: d, model: o.model, baseDtype: d, tokenizer: undefined as string | undefined })),
    // The GGUF's own tokenizer could split text differently; the folder's keeps the batches identical.
    ...(existsSync(gguf) ? [{ name: 'q4 (GGUF Q4_1 as is)', model: gguf, baseDtype: 'q4' as const, tokenizer: path.join(o.model, 'tokenizer.json') }] : []),
  ];
  const chosen = settings.filter((s) => s.name === 'fp32' || !o.only || o.only.includes(s.name));
  const common = { workload: 'dolly', batch: 8, seq: 256, threads: o.threads, steps: o.steps - 1, warmup: 1, seed: o.seed, dolly: o.dolly, heldOut: o.heldOut };
  const results: Record<string, Record<string, unknown>> = {};
  for (const s of chosen) {
    const args = JSON.stringify({ ...common, model: s.model, baseDtype: s.baseDtype, tokenizer: s.tokenizer });
    results[s.name] = runJsonChild('big-model', process.execPath, ['--import', 'tsx', path.join(here, '..', 'lora-step', 'ourStep.ts'), args], `SmolLM2 ${s.name}`, o.env);
  }
  const num = (r: Record<string, unknown>, k: string) => r[k] as number;
  const fp32 = results['fp32']!;
  // Tokens per second of our own CPU time: less swayed than wall time by what else the machine runs meanwhile.
  const perCpu = (r: Record<string, unknown>) => num(r, 'tokensPerSec') / num(r, 'cpuUtilTimed');
  return Object.fromEntries(Object.entries(results).map(([name, r]) => {
    const ratio = num(r, 'tokensPerSec') / num(fp32, 'tokensPerSec');
    return [name, {
      tokensPerSec: num(r, 'tokensPerSec'),
      tokensPerSecRatio: ratio,
      tokensPerCpuSecondRatio: perCpu(r) / perCpu(fp32),
      ...(RATIO_TARGETED.has(name) ? { ratioTarget: RATIO_TARGET, meetsTarget: ratio >= RATIO_TARGET } : {}),
      heldOutLossBefore: num(r, 'heldOutLossBefore'),
      heldOutLoss: num(r, 'heldOutLoss'),
      heldOutLossVsFp32: num(r, 'heldOutLoss') / num(fp32, 'heldOutLoss') - 1,
      trainLossLast: num(r, 'lossLast'),
      baseBytesPerParam: num(r, 'baseBytesPerParam'),
      trainPeakRssBytes: num(r, 'trainPeakRssBytes'),
      otherBusyCpusStart: r['otherBusyCpusStart'],
      cpuUtilTimed: num(r, 'cpuUtilTimed'),
    }];
  }));
}
