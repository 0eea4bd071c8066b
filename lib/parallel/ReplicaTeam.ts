/**
 * Rank 0's side of a data-parallel client: starts the other ranks as child processes running `script` (which
 * calls serveAsReplica), joins them in a ReplicaGroup and hands that group to the session's steps (it is the
 * session's ReplicaProvider). When a step loses a rank, the team stops the rest; the next step starts a
 * fresh set. Rank 0 joins the group only once every rank has built its session and said so, so a rank that
 * fails while loading never leaves rank 0 waiting in the rendezvous.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fsllmError, invalidArg, type FsllmError } from '../errors/index.js';
import { ReplicaGroup } from '../native/ReplicaGroup.js';
import type { ReplicaProvider } from '../native/TrainSession.js';
import { isReplicaReady, type ReplicaInit } from './replicaInit.js';

export interface ReplicaTeamOptions<Setup> {
  /** Processes in the group, rank 0 (this one) included: ≥ 2. */
  processes: number;
  /** The rank processes' entry script (it calls serveAsReplica). */
  script: string;
  /** Sent to every rank: what its script needs to build a session like rank 0's. */
  setup: Setup;
  /** Rendezvous, and each collective's wait for a silent rank. */
  timeoutMs: number;
  /** libtorch threads of each rank process (default: this machine's cores shared by the processes). */
  threadsPerProcess?: number;
}

/** How long stopped ranks get to exit before they are killed. */
const EXIT_GRACE_MS = 10_000;
/** How much of a rank's stderr an error quotes. */
const STDERR_TAIL = 2000;

interface Rank {
  child: ChildProcess;
  stderr: string;
  exited: Promise<void>;
}

export class ReplicaTeam<Setup> implements ReplicaProvider {
  readonly #options: ReplicaTeamOptions<Setup>;
  #group: ReplicaGroup | null = null;
  #starting: Promise<ReplicaGroup> | null = null;
  #ranks: Rank[] = [];
  #closed = false;
  #starts = 0;

  constructor(options: ReplicaTeamOptions<Setup>) {
    if (!Number.isInteger(options.processes) || options.processes < 2) throw invalidArg('processes', 'an integer ≥ 2', options.processes);
    if (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 1) throw invalidArg('timeoutMs', 'a positive integer', options.timeoutMs);
    this.#options = options;
  }

  /** Process ids of the running ranks other than 0 (empty before the first step and after a loss). */
  get pids(): number[] {
    return this.#ranks.map((r) => r.child.pid!).filter((pid) => pid !== undefined);
  }

  /** How many times the ranks were started (1 + the number of restarts after losses). */
  get starts(): number {
    return this.#starts;
  }

  group(): Promise<ReplicaGroup> {
    if (this.#closed) return Promise.reject(fsllmError('ERR_FSLLM_DISPOSED', 'The data-parallel team is closed'));
    if (this.#group) return Promise.resolve(this.#group);
    this.#starting ??= this.#start().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async lost(_error: FsllmError): Promise<void> {
    const group = this.#group;
    this.#group = null;
    group?.close();
    await this.#kill();
  }

  /** Releases the ranks (they exit) and closes the group. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#starting?.catch(() => undefined);
    const group = this.#group;
    this.#group = null;
    if (group) {
      try {
        await group.stopReplicas();
        await Promise.race([Promise.all(this.#ranks.map((r) => r.exited)), new Promise((resolve) => setTimeout(resolve, EXIT_GRACE_MS).unref())]);
      } finally {
        group.close();
      }
    }
    await this.#kill();
  }

  async #start(): Promise<ReplicaGroup> {
    const { processes, script, setup, timeoutMs } = this.#options;
    const threads = this.#options.threadsPerProcess ?? Math.max(1, Math.floor(os.availableParallelism() / processes));
    const group = ReplicaGroup.open({ rank: 0, worldSize: processes, timeoutMs });
    this.#starts += 1;
    try {
      const joined: Promise<void>[] = [];
      const exits: Promise<never>[] = [];
      for (let rank = 1; rank < processes; rank++) {
        const child = fork(script, [], {
          serialization: 'advanced',
          stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
          env: { ...process.env, FSLLM_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
        });
        const entry: Rank = { child, stderr: '', exited: new Promise((resolve) => child.once('exit', () => resolve())) };
        this.#ranks.push(entry);
        child.stderr!.on('data', (chunk: Buffer) => {
          entry.stderr = (entry.stderr + chunk.toString()).slice(-STDERR_TAIL);
        });
        joined.push(new Promise((resolve) => child.on('message', (m) => isReplicaReady(m) && resolve())));
        exits.push(new Promise((_, reject) => {
          child.once('exit', (code, signal) => {
            reject(fsllmError('ERR_FSLLM_DISTRIBUTED', `Data-parallel rank ${rank} exited (${signal ?? `code ${code}`}) before the group formed${entry.stderr ? `:\n${entry.stderr.trim()}` : ''}`));
          });
        }));
        child.send({ kind: 'replicaInit', rank, worldSize: processes, host: '127.0.0.1', port: group.port, timeoutMs, setup } satisfies ReplicaInit<Setup>);
      }
      const anyExit = Promise.race(exits);
      anyExit.catch(() => undefined);  // after the group forms, a rank's exit surfaces in the step it breaks
      await Promise.race([Promise.all(joined), anyExit]);
      await Promise.race([group.connect(), anyExit]);
    } catch (error) {
      await this.#kill();
      try {
        group.close();
      } catch {
        // still connecting (a rank died during the rendezvous): the native side gives up at the timeout
      }
      throw error;
    }
    this.#group = group;
    return group;
  }

  async #kill(): Promise<void> {
    const ranks = this.#ranks;
    this.#ranks = [];
    for (const r of ranks) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    }
    await Promise.all(ranks.map((r) => r.exited));
  }
}
