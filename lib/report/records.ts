/**
 * What a federated run writes to `metrics.jsonl`, one JSON object a line. The report, the CLI and the
 * results object all read these shapes; nothing else describes a run's history. They live beside the report
 * that draws them, so lib/fl (which writes them) depends on lib/report and never the other way round.
 */
import type { BaseDtype } from '../native/baseDtype.js';

/** One client's local training in one round. */
export interface TrainRecord {
  kind: 'train';
  round: number;
  client: number;
  /** Mean training loss over the round's optimizer steps (CE only, without declared terms). */
  loss: number;
  steps: number;
  /** Examples trained this round (the FedAvg weight). */
  samples: number;
  targetTokens: number;
  /** Mean wall time of one optimizer step. */
  msPerStep: number;
}

/**
 * One evaluation: `target` is a client id, 'global' for the merged split (all clients' examples pooled,
 * token-weighted), or 'mean' for the plain mean over clients (the `local` scenario's headline figure).
 */
export interface EvalRecord {
  kind: 'eval';
  round: number;
  target: number | 'global' | 'mean';
  split: 'val' | 'test';
  /** e.g. 'loss', 'perplexity'; the report draws one chart per split and metric. */
  metric: string;
  value: number;
  /**
   * Tokens (or examples) the value was computed over; 0 when this client's split is empty (value NaN). A split
   * empty on every client is not evaluated at all.
   */
  count: number;
  /** Which model was evaluated when a run has several (e.g. 'AdapEmu', 'AdapFu'); absent for the one model. */
  variant?: string;
}

/** The end of one round, as the server saw it. */
export interface RoundRecord {
  kind: 'round';
  round: number;
  clients: number[];
  /** Sample-weighted mean of the clients' training losses. */
  trainLoss: number;
  /** Encoded bytes the round moved: server to clients (all receivers) and clients to server. */
  bytesDown: number;
  bytesUp: number;
  ms: number;
  /** Resident set size of the process at the end of the round. */
  rssBytes: number;
}

export type RunRecord = TrainRecord | EvalRecord | RoundRecord;

/** Costs of a run, written once to `cost.json`. */
export interface CostSummary {
  trainableParameters: number;
  /** How the base model's block weights were stored, and what that came to per base parameter (bytes). */
  baseDtype: BaseDtype;
  baseBytesPerParam: number;
  /** Encoded size of one adapter message (the real frame that crosses the wire). */
  adapterMessageBytes: number;
  meanMsPerStep: number;
  peakRssBytes: number;
  bytesDownPerRound: number;
  bytesUpPerRound: number;
  totalBytes: number;
  wallSeconds: number;
  /** Time spent scoring eval.tasks, and the tokens generated for them. */
  taskSeconds: number;
  generatedTokens: number;
}
