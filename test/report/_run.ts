// Synthetic but realistic run records for the report tests: falling losses, byte counts of a real
// adapter frame size, evaluations of the global model and of each client. No suites here.
import type { CostSummary, RunRecord } from '../../lib/report/records.js';

export interface SyntheticRunOptions {
  clients?: number;
  rounds?: number;
  /** Evaluate on val (loss, perplexity) every round; off gives a run with no eval records. */
  evals?: boolean;
  /** Variants evaluated on the global model, e.g. ['AdapEmu', 'AdapFu']. */
  variants?: string[];
}

/** Records of a run with `clients` × `rounds`, in the order a coordinator writes them. */
export function syntheticRun({ clients = 3, rounds = 5, evals = true, variants = [] }: SyntheticRunOptions = {}): RunRecord[] {
  const out: RunRecord[] = [];
  const frame = 74_512;
  for (let round = 1; round <= rounds; round++) {
    const ids = Array.from({ length: clients }, (_, c) => c);
    const losses = ids.map((c) => 3.4 * Math.exp(-0.18 * round) + 0.9 + 0.12 * c + 0.03 * Math.sin(round * 1.7 + c));
    const samples = ids.map((c) => 120 + 40 * c);
    ids.forEach((c) => out.push({ kind: 'train', round, client: c, loss: losses[c]!, steps: 8, samples: samples[c]!, targetTokens: 9000 + 800 * c, msPerStep: 41 + c }));
    const weight = samples.reduce((a, b) => a + b, 0);
    const trainLoss = ids.reduce((s, c) => s + losses[c]! * samples[c]!, 0) / weight;
    out.push({ kind: 'round', round, clients: ids, trainLoss, bytesDown: frame * clients, bytesUp: frame * clients, ms: 900 + 30 * round, rssBytes: 412e6 + round * 2e6 });
    if (!evals) continue;
    const global = 3.1 * Math.exp(-0.15 * round) + 1.05;
    for (const [v, variant] of (variants.length ? variants : [undefined]).entries()) {
      const shift = v * 0.08;
      out.push({ kind: 'eval', round, target: 'global', split: 'val', metric: 'loss', value: global + shift, count: 4096, ...(variant ? { variant } : {}) });
      out.push({ kind: 'eval', round, target: 'global', split: 'val', metric: 'perplexity', value: Math.exp(global + shift), count: 4096, ...(variant ? { variant } : {}) });
      for (const c of ids) out.push({ kind: 'eval', round, target: c, split: 'val', metric: 'loss', value: global + 0.1 * (c + 1) + shift, count: 1024, ...(variant ? { variant } : {}) });
    }
  }
  return out;
}

/** The cost summary that goes with `syntheticRun`'s defaults. */
export function syntheticCost(clients = 3, rounds = 5): CostSummary {
  const perRound = 74_512 * clients;
  return {
    trainableParameters: 1_179_648,
    adapterMessageBytes: 74_512,
    meanMsPerStep: 42.37,
    peakRssBytes: 431_000_000,
    baseDtype: 'fp32',
    baseBytesPerParam: 4,
    bytesDownPerRound: perRound,
    bytesUpPerRound: perRound,
    totalBytes: 2 * perRound * rounds,
    wallSeconds: 83.4,
    taskSeconds: 0,
    generatedTokens: 0,
  };
}

/** A config with the kinds of strings a real one holds. */
export const CONFIG = {
  name: 'gsm8k · 3 clients · FedAvg',
  model: { path: 'models/stories260K.bin', lora: { rank: 8, alpha: 16, targets: ['q_proj', 'v_proj'] } },
  fl: { rounds: 5, clients: 3, strategy: 'fedAvg', partition: { kind: 'dirichlet', alpha: 0.5 } },
  train: { lr: 2e-4, microBatch: 4, accumulate: 2 },
};
