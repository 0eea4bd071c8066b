/**
 * One rank's membership of a data-parallel group: the processes that train one client together through
 * libtorch's c10d (a TCPStore for rendezvous, ProcessGroupGloo for the collectives). Rank 0 opens first and
 * hands its `port` to the others; every rank then awaits `connect()`. Rank 0 passes the group to
 * {@link TrainSession.useReplicas}; the other ranks call {@link TrainSession.serveReplicas} with theirs.
 */
import { binding } from './binding.js';
import type { RawReplicaGroup } from './rawReplicaGroup.js';
import { callNative } from './callNative.js';
import { invalidArg, toFsllmError } from '../errors/index.js';

export interface ReplicaGroupOptions {
  /** This process's rank in [0, worldSize); rank 0 leads the steps and hosts the store. */
  rank: number;
  /** Number of processes in the group (≥ 1). */
  worldSize: number;
  /** Rank 0's address, which gloo also binds to (default 127.0.0.1: every rank on this machine). */
  host?: string;
  /** The store's port: rank 0 may pass 0 (default) to take a free one, the others must pass rank 0's `port`. */
  port?: number;
  /** Bounds the rendezvous and each collective's wait for a silent rank (default 600000). */
  timeoutMs?: number;
}

export class ReplicaGroup {
  readonly #native: RawReplicaGroup;

  private constructor(native: RawReplicaGroup) {
    this.#native = native;
  }

  /**
   * Rank 0 starts the store here, so its {@link port} can be handed to the other ranks; nothing blocks.
   * @throws `ERR_FSLLM_INVALID_ARG` naming the option; `ERR_FSLLM_DISTRIBUTED` when the port is taken;
   * `ERR_FSLLM_UNSUPPORTED` for a build without gloo's headers.
   */
  static open(options: ReplicaGroupOptions): ReplicaGroup {
    const { rank, worldSize, host = '127.0.0.1', port = 0, timeoutMs = 600_000 } = options;
    if (!Number.isInteger(worldSize) || worldSize < 1) throw invalidArg('worldSize', 'an integer ≥ 1', worldSize);
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw invalidArg('rank', `an integer in [0, ${worldSize})`, rank);
    if (typeof host !== 'string' || host === '') throw invalidArg('host', 'a host name or address', host);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArg('port', 'an integer in [0, 65535]', port);
    if (rank > 0 && port === 0) throw invalidArg('port', "rank 0's port (only rank 0 may take a free one with 0)", port);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw invalidArg('timeoutMs', 'a positive integer', timeoutMs);
    const site = new Error();
    try {
      return new ReplicaGroup(binding().openReplicaGroup({ rank, worldSize, host, port, timeoutMs }));
    } catch (raw) {
      throw toFsllmError(raw, site);
    }
  }

  /** @internal The native group, for TrainSession. */
  get native(): RawReplicaGroup {
    return this.#native;
  }

  get rank(): number {
    return this.#native.rank;
  }

  get worldSize(): number {
    return this.#native.worldSize;
  }

  /** The store's port (rank 0: the one it took). */
  get port(): number {
    return this.#native.port;
  }

  /**
   * Joins the group: resolves once every rank has connected.
   * @throws `ERR_FSLLM_DISTRIBUTED` when they have not within `timeoutMs`.
   */
  connect(): Promise<void> {
    return callNative(() => this.#native.connect());
  }

  /** Rank 0: ends the other ranks' {@link TrainSession.serveReplicas} (they resolve). */
  stopReplicas(): Promise<void> {
    return callNative(() => this.#native.stopReplicas());
  }

  /** Drops this rank's store and sockets; the other ranks see it leave. */
  close(): void {
    this.#native.close();
  }
}
