/**
 * One federated run of the robust bench: five clients on Dolly-15k, all trained every round, the server's
 * rule from `aggregator`, with or without the malicious client; what it reads back is the global adapter's
 * held-out loss (every client's test split pooled) at round 0 and at the end, and the delta norms that arrived.
 */
import { buildAggregator, FedTrainer, resolveOptions, type AggregatorOptions, type EvalRecord, type FedTrainerOptions, type RunRecord } from '../../lib/index.js';
import { withMaliciousClient, type ArrivalLog, type Attack } from './maliciousClient.ts';

export interface RobustSetup {
  modelPath: string;
  dataRoot: string;
  clients: number;
  rounds: number;
  localSteps: number;
  batchSize: number;
  tokLen: number;
  subsample: number;
  lr: number;
  seed: number;
}

export interface RobustOutcome {
  startLoss: number;
  /** NaN when the run failed or the adapter diverged. */
  finalLoss: number;
  /** Why the run stopped early, when it did. */
  error?: string;
  arrivals: ArrivalLog;
  /** Krum and Multi-Krum under attack: the rounds that kept the attacker's update. */
  krumKeptAttacker?: number;
  seconds: number;
}

function options(s: RobustSetup, aggregator: AggregatorOptions, dir: string): FedTrainerOptions {
  return {
    model: { path: s.modelPath },
    // Split iid, not by category: the robust rules assume honest updates that resemble each other, and Dolly
    // has 8 categories, not 5.
    data: { type: 'dolly-15k', root: s.dataRoot, splitter: 'iid', subsample: s.subsample, splits: [0.8, 0.1, 0.1], tokLen: s.tokLen },
    federate: { clientNum: s.clients, sampleClients: s.clients, totalRounds: s.rounds, seed: s.seed },
    adapter: { method: 'lora', r: 8, alpha: 16, dropout: 0.05, targets: ['q_proj', 'v_proj'] },
    // As bench/peft-methods: fresh AdamW moments each round, gradient norm clipped at 1.
    train: { localSteps: s.localSteps, batchSize: s.batchSize, optimizer: { type: 'adamw', lr: s.lr, weightDecay: 0 }, maxGradNorm: 1 },
    eval: { every: s.rounds, splits: ['test'] },
    aggregator,
    output: { dir, checkpointEvery: 0, report: false },
  };
}

const globalTestLoss = (history: RunRecord[], round: number) =>
  history.find((r): r is EvalRecord => r.kind === 'eval' && r.round === round && r.target === 'global' && r.split === 'test' && r.metric === 'loss' && r.variant === undefined)?.value ?? NaN;

/** Runs once into `dir`; `label` prefixes the progress lines on stderr. A failed run is reported, not thrown. */
export async function runRobust(s: RobustSetup, aggregator: AggregatorOptions, attack: Attack | null, dir: string, label: string): Promise<RobustOutcome> {
  const started = Date.now();
  const o = options(s, aggregator, dir);
  let krumKeptAttacker = 0;
  const real = buildAggregator(resolveOptions(o), (pick) => {
    if (attack && pick.kept.includes(attack.attacker)) krumKeptAttacker++;
  });
  const arrivals: ArrivalLog = { honest: [], attacker: [] };
  const trainer = new FedTrainer(o, { aggregator: withMaliciousClient(real, attack, arrivals) });
  trainer.on('roundEnd', (r) => process.stderr.write(`  ${label} round ${r.round}/${s.rounds}: train loss ${r.trainLoss.toFixed(4)} (${(r.ms / 1000).toFixed(1)} s)\n`));
  const watchKrum = attack !== null && (aggregator.rule === 'krum' || aggregator.rule === 'multiKrum');
  const krum = () => (watchKrum ? { krumKeptAttacker } : {});
  try {
    const result = await trainer.run();
    return {
      startLoss: globalTestLoss(result.history, 0),
      finalLoss: globalTestLoss(result.history, s.rounds),
      arrivals,
      ...krum(),
      seconds: (Date.now() - started) / 1000,
    };
  } catch (e) {
    return { startLoss: NaN, finalLoss: NaN, error: e instanceof Error ? e.message : String(e), arrivals, ...krum(), seconds: (Date.now() - started) / 1000 };
  }
}
