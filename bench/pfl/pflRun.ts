/**
 * One run of the pfl bench: Fed-Dolly (Dolly-15k split by category, FS-LLM's 8 clients), every client every
 * round, fitted by one of methods.ts's methods; what it reads back is the mean over the clients of each
 * client's held-out loss on its own data ('mean' records), for the adapters the method serves its clients
 * (personal ones for Ditto and pFedMe) and for the global adapter.
 */
import { FedTrainer, type EvalRecord, type FedTrainerOptions, type RunRecord } from '../../lib/index.js';
import type { PflMethod } from './methods.ts';

export interface PflSetup {
  modelPath: string;
  dataRoot: string;
  rounds: number;
  localSteps: number;
  batchSize: number;
  tokLen: number;
  subsample: number;
  lr: number;
  seed: number;
}

export interface PflOutcome {
  /** Mean client loss of the method's own adapters (personal for Ditto and pFedMe), test and val splits, at the end. */
  test: number;
  val: number;
  /** Each client's test loss under those adapters, by client id. */
  perClient: Record<string, number>;
  /** The global adapter's mean client test loss at the end (null in the local scenario: there is none). */
  globalTest: number | null;
  /** Mean client test loss at round 0 (the untrained adapter, the same for every method). */
  startTest: number;
  /** Adapter values (fp32) one client holds. */
  adapterValues: number;
  /** Clients that trained (each holds a personal adapter under Ditto and pFedMe). */
  clients: number;
  seconds: number;
}

function options(s: PflSetup, m: PflMethod, dir: string): FedTrainerOptions {
  return {
    model: { path: s.modelPath },
    data: { type: 'dolly-15k', root: s.dataRoot, splitter: 'meta', subsample: s.subsample, splits: [0.8, 0.1, 0.1], tokLen: s.tokLen },
    federate: { scenario: m.scenario, totalRounds: s.rounds, seed: s.seed },
    adapter: { method: 'lora', r: 8, alpha: 16, dropout: 0.05, targets: ['q_proj', 'v_proj'] },
    // As bench/peft-methods: fresh AdamW moments each round, gradient norm clipped at 1.
    train: { localSteps: s.localSteps, batchSize: s.batchSize, optimizer: { type: 'adamw', lr: s.lr, weightDecay: 0 }, maxGradNorm: 1 },
    // Round 0 and the last round; val picks lambda in the sweep, test is what the bench reports.
    eval: { every: s.rounds, splits: ['val', 'test'] },
    ...(m.personalization ? { personalization: m.personalization } : {}),
    output: { dir, checkpointEvery: 0, report: false },
  };
}

const evals = (h: RunRecord[], round: number, split: 'val' | 'test', variant: string | undefined) =>
  h.filter((r): r is EvalRecord => r.kind === 'eval' && r.round === round && r.split === split && r.metric === 'loss' && r.variant === variant);
const meanOf = (records: EvalRecord[]) => records.find((r) => r.target === 'mean')?.value ?? NaN;

/** Runs `method` once into `dir`; `label` prefixes the progress lines on stderr. */
export async function runPfl(s: PflSetup, method: PflMethod, dir: string, label: string): Promise<PflOutcome> {
  const started = Date.now();
  const trainer = new FedTrainer(options(s, method, dir));
  trainer.on('roundEnd', (r) => process.stderr.write(`  ${label} round ${r.round}/${s.rounds}: train loss ${r.trainLoss.toFixed(4)} (${(r.ms / 1000).toFixed(1)} s)\n`));
  const result = await trainer.run();
  const h = result.history;
  const own = evals(h, s.rounds, 'test', method.variant);
  const perClient = Object.fromEntries(own.filter((r) => typeof r.target === 'number').map((r) => [String(r.target), r.value]));
  return {
    test: meanOf(own),
    val: meanOf(evals(h, s.rounds, 'val', method.variant)),
    perClient,
    globalTest: method.scenario === 'local' ? null : meanOf(evals(h, s.rounds, 'test', undefined)),
    startTest: meanOf(evals(h, 0, 'test', undefined)),
    adapterValues: result.cost.trainableParameters,
    clients: new Set(h.flatMap((r) => (r.kind === 'train' ? [r.client] : []))).size,
    seconds: (Date.now() - started) / 1000,
  };
}
