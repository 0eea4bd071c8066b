/**
 * The server's wait for clients, one phase at a time (joining, training, evaluation). A phase ends when every
 * awaited client has answered, been refused or been lost, or at its deadline, when the clients still pending
 * are dropped for the phase with a warning. The run's first join is the exception: it ends only when all have
 * joined or at the deadline, and the server judges who is missing. While clients are awaited to (re)join, it
 * says every `remindMs` whom it still waits for. It does not read messages: the server says who answered.
 */
import { fsllmError } from '../errors/index.js';
import { waitingToJoin } from './joinNotes.js';

/**
 * What the server waits for: the clients' first join (the start of a run, fresh or resumed), a rejoin before a
 * retried round, their updates, or their evaluation metrics.
 */
export type WaitPhase = 'join' | 'rejoin' | 'modelPara' | 'metrics';

/** The phase being waited for; the same object for the whole phase (compare it to see if it moved on). */
export interface PendingPhase {
  readonly phase: WaitPhase;
  readonly round: number;
  readonly pending: ReadonlySet<number>;
}

interface Wait extends PendingPhase {
  readonly pending: Set<number>;
  resolve(): void;
}

export class ClientWaiter {
  readonly #warn: (message: string) => void;
  readonly #remindMs: number;
  #current: Wait | null = null;

  /** @param remindMs While clients are awaited to (re)join, how often to say whom (0: never). */
  constructor(warn: (message: string) => void, remindMs = 30_000) {
    this.#warn = warn;
    this.#remindMs = remindMs;
  }

  /** The phase being waited for, or null between phases. */
  get current(): PendingPhase | null {
    return this.#current;
  }

  /**
   * Resolves when every client in `from` has been settled, or after `deadlineMs` (0: no deadline).
   * @throws `ERR_FSLLM_ABORTED` (rejects) when `signal` fires first.
   */
  wait(phase: WaitPhase, round: number, from: number[], deadlineMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (from.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let reminder: NodeJS.Timeout | undefined;
      const stop = () => {
        clearTimeout(timer);
        clearInterval(reminder);
      };
      const onAbort = () => {
        stop();
        reject(fsllmError('ERR_FSLLM_ABORTED', `The run was aborted in round ${round}`));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const wait: Wait = {
        phase,
        round,
        pending: new Set(from),
        resolve: () => {
          stop();
          signal?.removeEventListener('abort', onAbort);
          if (this.#current === wait) this.#current = null;
          resolve();
        },
      };
      this.#current = wait;
      if (deadlineMs > 0) {
        timer = setTimeout(() => {
          // The first join's missing clients are the server's to judge: start without them, or fail the run.
          if (phase !== 'join') {
            const what = phase === 'modelPara' ? 'update' : phase === 'metrics' ? 'metrics' : 'rejoin';
            this.#warn(`Round ${round}: no ${what} from clients ${[...wait.pending].join(', ')} within ${deadlineMs} ms; dropped for this round`);
          }
          wait.resolve();
        }, deadlineMs);
      }
      // A server waiting for clients that never come would otherwise say nothing (no deadline, or a long one).
      if ((phase === 'join' || phase === 'rejoin') && this.#remindMs > 0) {
        const started = Date.now();
        reminder = setInterval(() => this.#warn(waitingToJoin([...wait.pending], Date.now() - started)), this.#remindMs);
      }
    });
  }

  /** Client `id` answered (or was refused) in the current phase: no longer awaited. */
  settle(id: number): void {
    const wait = this.#current;
    if (!wait) return;
    wait.pending.delete(id);
    if (wait.pending.size === 0) wait.resolve();
  }

  /**
   * Client `id` lost its connection: no longer awaited in the current phase (it may rejoin later). In the first
   * join a client that has not joined is still awaited until the deadline: it may reconnect, and the deadline
   * alone decides whether the run starts without it.
   * @returns whether the client was awaited (and the loss said).
   */
  lose(id: number, why = 'disconnected'): boolean {
    const wait = this.#current;
    if (!wait || !wait.pending.has(id) || wait.phase === 'join') return false;
    this.#warn(`Client ${id} ${why} in round ${wait.round}; dropped for this round`);
    this.settle(id);
    return true;
  }
}
