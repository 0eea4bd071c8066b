/** A FIFO async mutex: `run` calls start in order, one at a time (node-llama-cpp's withLock). */
export class AsyncLock {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier `run` has settled; resolves or rejects with `fn`'s outcome. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
