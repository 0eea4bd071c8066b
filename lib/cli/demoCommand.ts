/** `fsllm demo`: federated LoRA on the embedded stories260K model and Dolly sample, with progress. */
import { parseArgs } from 'node:util';
import { invalidArg } from '../errors/index.js';
import { FedTrainer } from '../fl/FedTrainer.js';
import { formatFixed } from '../report/format.js';
import type { FedTrainerOptions } from '../config/index.js';
import { checkDevice, type Device } from '../native/device.js';
import { embedded } from './assets.js';
import { showFedProgress } from './fedProgress.js';

export const DEMO_USAGE = `fsllm demo [--out DIR] [--rounds N] [--steps N] [--seed S] [--device cpu|cuda|cuda:N]
  Federated LoRA fine-tuning of the embedded stories260K model on the embedded Dolly sample, split
  across 8 clients by category (4 sampled per round), FedAvg. Writes DIR (default runs/demo):
  metrics.jsonl, report.html, cost.json, config.json and adapter/ (PEFT format).`;

/**
 * The demo's options: real enough to show the held-out loss fall, short enough to watch. By default 5 rounds
 * of 8 local steps: the held-out test loss falls from 4.80 to 3.63, where 10 rounds of 10 steps, 2.5 times the
 * steps, reached 3.56.
 */
export function demoOptions(out: string, rounds: number, steps: number, seed: number, device: Device): FedTrainerOptions {
  return {
    model: { path: embedded.model, device },
    data: {
      type: 'file',
      file: embedded.dollySample,
      keys: { input: 'context', output: 'response', category: 'category' },
      splitter: 'meta',
      splits: [0.8, 0.1, 0.1],
      tokLen: 512,
    },
    federate: { clientNum: 8, totalRounds: rounds, sampleClients: 4, seed },
    adapter: { r: 8, alpha: 16, dropout: 0.05, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
    train: { localSteps: steps, batchSize: 4, optimizer: { type: 'adamw', lr: 2e-3, weightDecay: 0 }, maxGradNorm: 1 },
    eval: { every: 1, splits: ['val', 'test'] },
    output: { dir: out, checkpointEvery: 5 },
  };
}

export async function demoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: 'runs/demo' },
      rounds: { type: 'string', default: '5' },
      steps: { type: 'string', default: '8' },
      seed: { type: 'string', default: '0' },
      device: { type: 'string', default: 'cpu' },
    },
    strict: true,
  });
  const rounds = Number(values.rounds);
  const steps = Number(values.steps);
  const seed = Number(values.seed);
  if (!Number.isInteger(rounds) || rounds < 1) throw invalidArg('--rounds', 'a positive integer', values.rounds);
  if (!Number.isInteger(steps) || steps < 1) throw invalidArg('--steps', 'a positive integer', values.steps);
  if (!Number.isInteger(seed) || seed < 0) throw invalidArg('--seed', 'a non-negative integer', values.seed);

  const run = new FedTrainer(demoOptions(values.out, rounds, steps, seed, checkDevice(values.device, '--device')));
  console.log('fsllm demo: federated LoRA on stories260K (embedded), Dolly sample split by category over 8 clients, 4 per round');
  showFedProgress(run);
  const result = await run.run();
  const curve = result.history.filter((r) => r.kind === 'eval' && r.target === 'global' && r.split === 'test' && r.metric === 'loss');
  const first = curve[0];
  const last = curve.at(-1);
  if (first && last && first.kind === 'eval' && last.kind === 'eval') {
    console.log(`held-out test loss (all clients): round ${first.round} ${formatFixed(first.value, 3)} -> round ${last.round} ${formatFixed(last.value, 3)}`);
  }
  console.log(`trainable parameters ${result.cost.trainableParameters.toLocaleString()}, ${(result.cost.adapterMessageBytes / 1024).toFixed(1)} KiB per adapter message`);
  console.log(`wrote ${result.outDir}: metrics.jsonl, report.html (open it in a browser), adapter/ (PEFT)`);
}
