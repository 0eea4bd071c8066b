/**
 * The server's wait for clients, one phase at a time (joining, training, evaluation). A phase ends when every
 * awaited client has answered, been refused or been lost, or at its deadline, when the clients still pending
 * are dropped for the phase with a warning. It does not read messages: the server says who answered.
 */
import { fsllmError } from '../errors/index.js';

/** What the server waits for: clients (re)joining, their updates, or their evaluation metrics. */
export type WaitPhase = 'join' | 'modelPara' | 'metrics';

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
  #current: Wait | null = null;

  constructor(warn: (message: string) => void) {
    this.#warn = warn;
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
      const onAbort = () => {
        clearTimeout(timer);
        reject(fsllmError('ERR_FSLLM_ABORTED', `The run was aborted in round ${round}`));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const wait: Wait = {
        phase,
        round,
        pending: new Set(from),
        resolve: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (this.#current === wait) this.#current = null;
          resolve();
        },
      };
      this.#current = wait;
      if (deadlineMs > 0) {
        timer = setTimeout(() => {
          const what = phase === 'modelPara' ? 'update' : phase === 'metrics' ? 'metrics' : 'rejoin';
          this.#warn(`Round ${round}: no ${what} from clients ${[...wait.pending].join(', ')} within ${deadlineMs} ms; dropped for this round`);
          wait.resolve();
        }, deadlineMs);
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

  /** Client `id` lost its connection: no longer awaited in the current phase (it may rejoin later). */
  lose(id: number): void {
    const wait = this.#current;
    if (!wait || !wait.pending.has(id)) return;
    this.#warn(`Client ${id} disconnected in round ${wait.round}; dropped for this round`);
    this.settle(id);
  }
}
