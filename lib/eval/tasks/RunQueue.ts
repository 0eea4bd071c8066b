/**
 * Jobs started in the background, at most `limit` at a time, with back-pressure: `add` waits for a free slot,
 * so a producer (generation) never runs further ahead of its consumers (program runs) than `limit` jobs. The
 * first job failure is kept and rethrown by the next `add` (stopping the producer) and by `drain`.
 */
export class RunQueue {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Starts `job` once fewer than `limit` jobs run; resolves when it has started (not finished). */
  async add(job: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
    this.#throwFailure();
    const running: Promise<void> = job().then(
      () => void this.#running.delete(running),
      (error: unknown) => {
        this.#failure ??= { error };
        this.#running.delete(running);
      },
    );
    this.#running.add(running);
  }

  /** Waits for every job; rejects with the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.#throwFailure();
  }

  /** Waits for every job, whatever they did (for clean-up before rethrowing another error). */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  #throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}
