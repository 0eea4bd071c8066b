/**
 * Default limits of the two steps of a sample, and the checked merge of a caller's partial limits over them.
 * Compilers get more of everything than programs: g++ and rustc need hundreds of MiB, the Go toolchain and
 * javac start many threads, and a Rust or Go test binary is several MiB.
 */
import { invalidArg } from '../../errors/index.js';
import type { SandboxLimits } from './types.js';

const MiB = 1024 * 1024;

/** Run step: a HumanEval test finishes in well under a second; the reference evaluators allowed 3-5 s. */
export const DEFAULT_RUN_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  timeoutMs: 10_000,
  cpuSeconds: 10,
  memoryBytes: 1024 * MiB,
  fileBytes: 16 * MiB,
  processes: 64,
  outputBytes: 64 * 1024,
});

/** Compile step (C++, Go, Java, Rust): generous for a loaded machine, still bounded. */
export const DEFAULT_COMPILE_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  timeoutMs: 60_000,
  cpuSeconds: 60,
  memoryBytes: 2048 * MiB,
  fileBytes: 256 * MiB,
  processes: 256,
  outputBytes: 64 * 1024,
});

// The smallest values the sandbox can work with: the set-up itself needs a few processes and a little memory.
const FLOORS: Readonly<SandboxLimits> = Object.freeze({
  timeoutMs: 100,
  cpuSeconds: 1,
  memoryBytes: 16 * MiB,
  fileBytes: 4096,
  processes: 4,
  outputBytes: 0,
});

/**
 * `partial` over `defaults`, every field checked.
 * @param name the option's name in messages (`limits`, `compileLimits`).
 * @throws `ERR_FSLLM_INVALID_ARG` for a field that is not a safe integer at or above its floor.
 */
export function resolveLimits(partial: Partial<SandboxLimits> | undefined, defaults: Readonly<SandboxLimits>, name: string): SandboxLimits {
  if (partial !== undefined && (typeof partial !== 'object' || partial === null)) throw invalidArg(name, 'an object', partial);
  const limits = { ...defaults };
  for (const key of Object.keys(partial ?? {}) as (keyof SandboxLimits)[]) {
    const value = partial![key];
    if (!(key in FLOORS)) throw invalidArg(`${name}.${key}`, `a known limit (${Object.keys(FLOORS).join(', ')})`, value);
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < FLOORS[key]) throw invalidArg(`${name}.${key}`, `an integer >= ${FLOORS[key]}`, value);
    limits[key] = value;
  }
  return limits;
}
