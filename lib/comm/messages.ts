/**
 * The typed messages of a federated run (FS-LLM's message types, trimmed to what our workers use).
 * Adapters travel as encoded frames (adapterFrame.ts), so every transport moves and counts the same bytes.
 */

/** A worker's address: the server, or a client id (1-based). */
export type Address = 'server' | number;

export type EvalSplit = 'val' | 'test';

/** Loss of one split on one client: summed token cross-entropy and its token count. */
export interface SplitLoss {
  split: EvalSplit;
  lossSum: number;
  tokens: number;
}

/** What a client reports of its local training in a round. */
export interface TrainSummary {
  loss: number;
  steps: number;
  targetTokens: number;
  msPerStep: number;
}

/** Server → client. */
export type ServerMessage =
  /** Train this round, starting from `adapter`. */
  | { type: 'modelPara'; round: number; adapter: Uint8Array }
  /** Evaluate `adapter` on the named held-out splits. */
  | { type: 'evaluate'; round: number; adapter: Uint8Array; splits: EvalSplit[] }
  /** The run is over; `adapter` is the final global adapter. */
  | { type: 'finish'; round: number; adapter: Uint8Array };

/** Client → server. */
export type ClientMessage =
  | { type: 'join'; clientId: number; trainSamples: number }
  /** The local update: `sampleSize` examples trained this round (the FedAvg weight). */
  | { type: 'modelPara'; round: number; sampleSize: number; adapter: Uint8Array; train: TrainSummary }
  /** `personal`: the same splits on the client's own adapter (personalised FL: Ditto, pFedMe), once it has one. */
  | { type: 'metrics'; round: number; results: SplitLoss[]; personal?: SplitLoss[] };

export type AnyMessage = ServerMessage | ClientMessage;
