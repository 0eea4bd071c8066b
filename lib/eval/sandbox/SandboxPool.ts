/**
 * Runs many samples, at most `workers` at a time (one per core by default: a sample is mostly one busy
 * process, and a compile step may use two). Samples start in the order `run` was called.
 */
import os from 'node:os';

import { fsllmError, invalidArg } from '../../errors/index.js';
import { programRequest } from './programRequest.js';
import { runRequest } from './runProgram.js';
import type { RunProgramOptions, RunProgramResult } from './types.js';

/** Options of {@link SandboxPool}. */
export interface SandboxPoolOptions {
  /** Samples running at the same time, >= 1. Default `os.availableParallelism()`. */
  workers?: number;
}

/**
 * A concurrency limit in front of `runProgram`.
 * @example
 * const pool = new SandboxPool();
 * const results = await Promise.all(programs.map((p) => pool.run({ language: 'python', source: p })));
 */
export class SandboxPool {
  readonly workers: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  /** @throws `ERR_FSLLM_INVALID_ARG` for a `workers` that is not a positive integer. */
  constructor(options: SandboxPoolOptions = {}) {
    const workers = options.workers ?? os.availableParallelism();
    if (!Number.isSafeInteger(workers) || workers < 1) throw invalidArg('workers', 'an integer >= 1', workers);
    this.workers = workers;
  }

  /** Samples started and not yet finished. */
  get running(): number {
    return this.#running;
  }

  /**
   * `runProgram(options)` once a worker is free. Options are checked at once (a bad one throws here); an
   * abort while waiting rejects with `ERR_FSLLM_ABORTED` without running anything.
   */
  run(options: RunProgramOptions): Promise<RunProgramResult> {
    const request = programRequest(options);
    return this.#whenFree(options.signal).then(async () => {
      try {
        return await runRequest(request);
      } finally {
        this.#release();
      }
    });
  }

  #whenFree(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(fsllmError('ERR_FSLLM_ABORTED', 'the sample was aborted before it started'));
    if (this.#running < this.workers) {
      this.#running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#running += 1;
        resolve();
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(wake), 1);
        reject(fsllmError('ERR_FSLLM_ABORTED', 'the sample was aborted while waiting for a worker'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(wake);
    });
  }

  #release(): void {
    this.#running -= 1;
    this.#waiting.shift()?.();
  }
}
