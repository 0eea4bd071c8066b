/**
 * The 7B half of the big-model bench: one LoRA step (r 8 on q/v, batch 1 x 256 random tokens) on a random
 * LLaMA-2-7B-shaped Q4_0 GGUF, with its base kept as Q4_0 (q4) and decoded to bf16, each in a child process
 * (bench/lora-step/ourStep.ts) watched for memory, so each peak RSS is its own and a run that cannot fit is
 * stopped and reported instead of taking the machine down.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runJsonChildWatched } from '../children.ts';
import { LLAMA2_7B, randomLlamaGguf, type LlamaShape, type RandomLlamaGguf } from './randomLlamaGguf.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const GIB = 2 ** 30;
/** The targets for the whole process's peak RSS. */
const SETTINGS = [
  { baseDtype: 'q4', targetBytes: 8 * GIB },
  { baseDtype: 'bf16', targetBytes: 16 * GIB },
] as const;

export interface Llama7bOptions {
  /** Blocks: 32 is LLaMA-2-7B; fewer keep its width for a run that fits where the full one does not. */
  layers: number;
  seed: number;
  cacheDir: string;
  rssCapBytes: number;
  env: NodeJS.ProcessEnv;
  threads: number;
}

function summary(r: Record<string, unknown>, targetBytes: number): Record<string, unknown> {
  const peak = r['peakRssBytes'] as number;
  const loss = r['lossFirst'] as number;
  return {
    peakRssBytes: peak,
    targetBytes,
    meetsTarget: peak <= targetBytes,
    // RSS counts the pages of the mapped GGUF the loader touched; the anonymous part is the model itself.
    loadPeakAnonBytes: r['loadPeakAnonBytes'],
    loadPeakFileBytes: r['loadPeakFileBytes'],
    loadedAnonBytes: r['loadedAnonBytes'],
    trainPeakRssBytes: r['trainPeakRssBytes'],
    trainPeakAnonBytes: r['trainPeakAnonBytes'],
    stepSeconds: (r['stepMsP50'] as number) / 1000,
    loadSeconds: r['loadSeconds'],
    baseBytesPerParam: r['baseBytesPerParam'],
    loss,
    lossFinite: Number.isFinite(loss),
    otherBusyCpusStart: r['otherBusyCpusStart'],
    cpuUtilTimed: r['cpuUtilTimed'],
  };
}

/** Writes (or finds) the GGUF, then runs each base dtype; results keyed by dtype. */
export async function runLlama7b(o: Llama7bOptions): Promise<{ shape: LlamaShape; gguf: RandomLlamaGguf; settings: Record<string, unknown> }> {
  const shape = { ...LLAMA2_7B, layers: o.layers };
  const gguf = await randomLlamaGguf(shape, o.seed, o.cacheDir);
  console.error(`big-model: ${gguf.reused ? 'reusing' : 'wrote'} ${gguf.file} (${(gguf.bytes / GIB).toFixed(2)} GiB, ${gguf.seconds.toFixed(1)} s)`);
  const settings: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const args = { model: gguf.file, workload: 'fixed', batch: 1, seq: 256, threads: o.threads, steps: 1, warmup: 0, seed: o.seed, dolly: '', baseDtype: s.baseDtype };
    const child = await runJsonChildWatched('big-model', process.execPath, ['--import', 'tsx', path.join(here, '..', 'lora-step', 'ourStep.ts'), JSON.stringify(args)],
      `${shape.layers}-layer 7B-wide ${s.baseDtype}`, o.env, o.rssCapBytes);
    settings[s.baseDtype] = child.result
      ? summary(child.result, s.targetBytes)
      : { error: child.error, observedPeakRssBytes: child.observedPeakRssBytes, targetBytes: s.targetBytes, meetsTarget: false };
  }
  return { shape, gguf, settings };
}
