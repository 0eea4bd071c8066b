/** The addon's data-parallel surface as TypeScript sees it (binding.ts's NativeBinding and RawTrainSession use it). */

/** What one data-parallel step moved between its ranks, in bytes (rank 0's view). */
export interface ReplicaTraffic {
  /** Trainable tensors, optimizer state and anchor broadcast before the step (0 when the replicas were current). */
  syncedBytes: number;
  /** The step's micro-batches broadcast to the other ranks. */
  batchBytes: number;
  /** Gradients, per-micro-batch loss sums and per-tensor "had a gradient" flags all-reduced. */
  reducedBytes: number;
}

/** One rank's membership of a data-parallel group (c10d TCPStore + ProcessGroupGloo). */
export interface RawReplicaGroup {
  readonly port: number;
  readonly rank: number;
  readonly worldSize: number;
  connect(): Promise<void>;
  /** Rank 0: ends the other ranks' serveReplicas(). */
  stopReplicas(): Promise<void>;
  close(): void;
}

export interface RawReplicaGroupOptions {
  rank: number;
  worldSize: number;
  host: string;
  port: number;
  timeoutMs: number;
}
