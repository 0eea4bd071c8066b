/**
 * How the server turns a round's client updates into the next global adapter. FedAvg, the robust rules and
 * the server optimisers implement it, and so can a user's own (FedTrainer's `aggregator` setup option). All
 * values are the flat fp32 buffer of the tensors the clients upload (in closed-model tuning, the adapter
 * layers' part of the global adapter).
 */

/** One client's update of a round. */
export interface ClientUpdate {
  client: number;
  /** The client's adapter values after its local fit; the aggregator may keep (and modify) this buffer. */
  data: Float32Array;
  /** FedAvg weight: samples trained this round (federate.weighting: samples), or 1. */
  weight: number;
}

/** One round's aggregation, fed the updates as they arrive. */
export interface AggregationRound {
  add(update: ClientUpdate): Promise<void>;
  /** The new global values (as long as `global`); called once, after every update of the round was added. */
  result(): Promise<Float32Array>;
}

export interface Aggregator {
  /** Shown in the run's records and warnings, e.g. 'fedavg', 'median+fedadam'. */
  readonly name: string;
  /** Starts a round whose clients all began from `global` (not modified). */
  begin(round: number, global: Float32Array): AggregationRound;
  /** State carried across rounds (a server optimiser's moments), checkpointed with the run; absent = stateless. */
  state?(): Record<string, Float32Array>;
  /** Continues from `state()` as saved by a checkpoint. */
  restore?(state: Record<string, Float32Array>): void;
}
