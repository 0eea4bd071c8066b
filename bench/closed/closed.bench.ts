/**
 * `npm run bench -- closed [--data-root DIR] [--rounds N]`: closed-model tuning at our scale. Runs FedBiOT
 * and FedOT on the embedded stories260K (5 layers) with GSM8K split over 3 IID clients and Alpaca as the
 * owner's public alignment data, same data, rounds and seeds, and prints the papers' relations: FedBiOT
 * vs FedOT (full model + adapter, "AdapFu", and emulator + adapter, "AdapEmu"), drop rate 0.2 vs 0.5, and
 * per-client bytes per round and trainable parameters for 1 vs 2 adapter layers (FedBiOT Table 5's shape).
 * Ends with one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { FedTrainer, type FedTrainerOptions, type RunRecord } from '../../lib/index.js';
import { embedded } from '../../lib/cli/assets.js';
import { dataRoot } from '../sharedData.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Outcome {
  adapFu: number;
  adapEmu: number;
  clientBytesPerRound: number;
  trainableParameters: number;
  seconds: number;
}

function argValue(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

/** Final held-out test loss of a variant, and the bytes one client moves in a round without evaluation. */
function outcome(history: RunRecord[], rounds: number, trainableParameters: number, seconds: number): Outcome {
  const final = (variant: string) => history.find((r) => r.kind === 'eval' && r.round === rounds && r.target === 'global' && r.split === 'test' && r.variant === variant);
  const evalRounds = new Set(history.filter((r) => r.kind === 'eval').map((r) => r.round));
  const plain = history.filter((r) => r.kind === 'round' && !evalRounds.has(r.round));
  const perClient = plain.map((r) => (r.kind === 'round' ? (r.bytesDown + r.bytesUp) / r.clients.length : 0));
  return {
    adapFu: final('AdapFu')?.kind === 'eval' ? (final('AdapFu') as { value: number }).value : NaN,
    adapEmu: final('AdapEmu')?.kind === 'eval' ? (final('AdapEmu') as { value: number }).value : NaN,
    clientBytesPerRound: perClient.length ? Math.round(perClient.reduce((a, b) => a + b, 0) / perClient.length) : NaN,
    trainableParameters,
    seconds,
  };
}

export async function run(argv: string[]): Promise<void> {
  const root = dataRoot(argValue(argv, '--data-root'), 'gsm8k/ and alpaca/');
  const rounds = Number(argValue(argv, '--rounds') ?? 12);
  const out = mkdtempSync(path.join(os.tmpdir(), 'fsllm-closed-'));
  const base = (name: string, offsite: FedTrainerOptions['offsite']): FedTrainerOptions => ({
    model: { path: embedded.model },
    data: { type: 'gsm8k', root, subsample: 0.05, splits: [0.8, 0.1, 0.1], tokLen: 320 },
    federate: { clientNum: 3, totalRounds: rounds, seed: 3 },
    adapter: { r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
    train: { localSteps: 8, batchSize: 4, optimizer: { type: 'adamw', lr: 3e-3, weightDecay: 0 } },
    // Evaluate at the start, halfway and at the end; the other rounds measure training traffic alone.
    eval: { every: Math.max(1, Math.floor(rounds / 2)), splits: ['test'] },
    output: { dir: path.join(out, name), checkpointEvery: 0, report: false },
    offsite,
  });
  const align = { data: { type: 'alpaca' as const, subsample: 0.05 }, preSteps: 40, stepsPerRound: 5, batchSize: 4 };
  const runs: Record<string, FedTrainerOptions['offsite']> = {
    fedbiot: { algorithm: 'fedbiot', adapterLayers: 1, dropRate: 0.2, align },
    fedot: { algorithm: 'fedot', emuL: 1, emuR: 4, dropRate: 0.2, align: { ...align, use: true } },
    fedbiot05: { algorithm: 'fedbiot', adapterLayers: 1, dropRate: 0.5, align },
    fedbiotAdapter2: { algorithm: 'fedbiot', adapterLayers: 2, dropRate: 0.2, align },
  };
  const results: Record<string, Outcome> = {};
  try {
    for (const [name, offsite] of Object.entries(runs)) {
      const started = Date.now();
      const result = await new FedTrainer(base(name, offsite)).run();
      results[name] = outcome(result.history, rounds, result.cost.trainableParameters, (Date.now() - started) / 1000);
      const r = results[name]!;
      console.log(`${name}: AdapFu ${r.adapFu.toFixed(4)}  AdapEmu ${r.adapEmu.toFixed(4)}  ${r.clientBytesPerRound} B/client/round  ${r.trainableParameters} trainable  ${r.seconds.toFixed(1)} s`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const r = results as Record<keyof typeof runs, Outcome>;
  console.log(JSON.stringify({
    name: 'closed',
    model: 'stories260K (5 layers)',
    rounds,
    fedbiotAdapFu: r.fedbiot.adapFu,
    fedotAdapFu: r.fedot.adapFu,
    fedbiotAdapEmu: r.fedbiot.adapEmu,
    fedotAdapEmu: r.fedot.adapEmu,
    drop02: r.fedbiot.adapFu,
    drop05: r.fedbiot05.adapFu,
    clientBytesPerRound: { fedbiot: r.fedbiot.clientBytesPerRound, fedot: r.fedot.clientBytesPerRound, fedbiotAdapter2: r.fedbiotAdapter2.clientBytesPerRound },
    trainableParameters: { fedbiot: r.fedbiot.trainableParameters, fedot: r.fedot.trainableParameters, fedbiotAdapter2: r.fedbiotAdapter2.trainableParameters },
    fedbiotBeatsFedot: r.fedbiot.adapFu < r.fedot.adapFu,
    drop02BeatsDrop05: r.fedbiot.adapFu < r.fedbiot05.adapFu,
  }));
}
