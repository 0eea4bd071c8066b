/**
 * What a FedTrainer run reports goes through one recorder: it keeps the records an event carries (a client's
 * update, an evaluation, a round's end) for `metrics.jsonl`, then passes the event on to the trainer's
 * listeners. The file therefore holds every record whoever listens, and whatever a listener does.
 */
import type { RunRecord } from '../report/records.js';
import type { FedEmitter, FedEvents, FedReporter } from './events.js';

export class RunRecorder implements FedReporter {
  readonly #listeners: FedEmitter;
  #pending: RunRecord[] = [];

  /** @param listeners Gets every event after its records are kept (the FedTrainer, for its public events). */
  constructor(listeners: FedEmitter) {
    this.#listeners = listeners;
  }

  emit<E extends keyof FedEvents>(event: E, ...args: Parameters<FedEvents[E]>): boolean {
    this.#keep(event, args[0]);
    return this.#listeners.emit(event, ...args);
  }

  /** The records reported since the last call, in the order they were reported. */
  take(): RunRecord[] {
    const records = this.#pending;
    this.#pending = [];
    return records;
  }

  #keep(event: keyof FedEvents, payload: unknown): void {
    if (event === 'clientEnd' || event === 'roundEnd') this.#pending.push(payload as RunRecord);
    else if (event === 'eval') this.#pending.push(...(payload as Parameters<FedEvents['eval']>[0]).records);
  }
}
