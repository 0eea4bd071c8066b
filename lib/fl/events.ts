/** The events of a federated run, in the order they fire within a round. */
import type TypedEmitterModule from 'typed-emitter';
import type { KrumPick } from '../aggregate/robustRules.js';
import type { StepLog } from '../trainer/hooks/logging.js';
import type { EvalRecord, RoundRecord, TrainRecord } from '../report/records.js';

export type FedEvents = {
  /** A round begins: the server sampled `clients`. */
  roundStart: (e: { round: number; clients: number[] }) => void;
  /** A client begins its local update of `round`. */
  clientStart: (e: { round: number; client: number }) => void;
  /** After every local optimizer step (drives progress displays). */
  step: (e: StepLog) => void;
  /** A client finished its local update (what it reported). */
  clientEnd: (e: TrainRecord) => void;
  /** The server aggregated the round's updates with `rule` (the aggregator's name, e.g. 'fedavg', 'median+fedadam'). */
  aggregate: (e: { round: number; clients: number[]; weights: number[]; rule: string }) => void;
  /** Krum / Multi-Krum kept these clients' updates this round (the others were left out as outliers). */
  krum: (e: KrumPick) => void;
  /** Evaluation results of a round (per client and for the merged splits). */
  eval: (e: { round: number; records: EvalRecord[] }) => void;
  /** Closed-model tuning: the owner aligned the emulator (round 0: before the first round). Means over its steps. */
  align: (e: { round: number; steps: number; loss: number; repr: number; kl: number }) => void;
  /** The round is complete. */
  roundEnd: (e: RoundRecord) => void;
  /** A checkpoint was written (atomically) to `dir`. */
  checkpoint: (e: { round: number; dir: string }) => void;
  /** The run ended; `reason` says why (all rounds done, or early stop). */
  done: (e: { rounds: number; reason: 'completed' | 'earlyStop' }) => void;
  /** Distributed mode: the server listens (port 0 in the options picks a free one) and waits for `clients` to join. */
  listening: (e: { host: string; port: number; clients: number[]; emulatorDir?: string }) => void;
  /** Task scoring (eval.tasks) in progress: `done` of `total` items of `task` for `target` ('global', 'client 3', 'AdapFu global'). */
  taskProgress: (e: { round: number; task: string; target: string; done: number; total: number }) => void;
  /** A non-fatal note (e.g. examples dropped by truncation, a rejected update). */
  warning: (message: string) => void;
};

/** An EventEmitter typed with FedEvents (typed-emitter's CJS default export, seen from ESM). */
export type FedEmitter = TypedEmitterModule.default<FedEvents>;

/**
 * Where the server and clients report what happens: a FedEmitter, or the recorder of a FedTrainer run, which
 * also keeps the records for `metrics.jsonl` before passing each event on.
 */
export type FedReporter = Pick<FedEmitter, 'emit'>;
