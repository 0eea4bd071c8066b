/**
 * Runs one model-written program in the sandbox and says whether it passed. What the program does (crash,
 * loop, fork, allocate, write, connect) is a result; only the harness's own problems reject.
 */
import { fsllmError } from '../../errors/index.js';
import { prepareLanguage } from './prepareLanguage.js';
import { probeIsolation, type SandboxIsolation } from './probeIsolation.js';
import { programRequest, type ProgramRequest } from './programRequest.js';
import { runSample, type SampleStep } from './runSample.js';
import type { RunProgramOptions, RunProgramResult } from './types.js';

/**
 * Compiles (C++, Go, Java, Rust) and runs `options`' program as a sample of its own: own process group
 * and namespaces (no network, read-only host file system, private /tmp), own uid when the harness is root,
 * own directory (removed afterwards), CPU, memory, file-size and process limits, a wall-clock timeout that
 * kills everything it started, and an environment with nothing of the harness's.
 *
 * @example
 * const r = await runProgram({ language: 'python', source: 'assert 1 + 1 == 2' });
 * r.status; // 'passed'
 * @throws `ERR_FSLLM_INVALID_ARG` (synchronously) for a bad option.
 * @throws `ERR_FSLLM_UNSUPPORTED` (rejects) when this machine cannot isolate samples from the network and
 *   `allowNetwork` is not set, when util-linux's prlimit is missing, or when the language's toolchain is
 *   missing or does not run inside the sandbox.
 * @throws `ERR_FSLLM_ABORTED` (rejects) when `signal` aborts; the sample is killed first.
 */
export function runProgram(options: RunProgramOptions): Promise<RunProgramResult> {
  return runRequest(programRequest(options));
}

/** @internal For tests: run under a given isolation instead of this machine's (e.g. to see the refusal). */
export function runProgramWith(isolation: SandboxIsolation, options: RunProgramOptions): Promise<RunProgramResult> {
  return runRequest(programRequest({ ...options, isolation }));
}

/** @internal `runProgram` after its options were checked (SandboxPool checks them before queueing). */
export async function runRequest(request: ProgramRequest): Promise<RunProgramResult> {
  if (request.signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', 'runProgram was aborted before it started');
  const isolation = request.isolation ?? (await probeIsolation());
  if (isolation.tools.prlimit === undefined) {
    throw fsllmError('ERR_FSLLM_UNSUPPORTED', 'the code sandbox needs prlimit (util-linux) on PATH to limit samples; install util-linux');
  }
  if (isolation.namespaces === 'none' && !request.allowNetwork) {
    throw fsllmError(
      'ERR_FSLLM_UNSUPPORTED',
      `cannot cut samples off the network here: ${isolation.reason ?? 'no network namespace'}. ` +
        'Run as root or where user namespaces are allowed, or pass allowNetwork: true to run model-written code with network access ' +
        '(and without the read-only file system view)',
    );
  }
  const { spec } = request;
  // Preparation is shared by every sample of the language: an abort stops waiting for it, not the preparation.
  const env = await untilAborted(prepareLanguage(spec, isolation, { tempRoot: request.tempRoot, cacheRoot: request.cacheRoot }), request.signal);
  const steps: SampleStep[] = [];
  if (spec.compile) steps.push({ phase: 'compile', limits: request.compileLimits, cache: true, command: (ctx) => spec.compile!(ctx) });
  steps.push({ phase: 'run', limits: request.runLimits, command: (ctx) => spec.run(ctx) });
  return runSample({
    env,
    language: spec,
    files: request.files,
    steps,
    passWhen: request.passWhen,
    linkLibraries: request.linkLibraries,
    tempRoot: request.tempRoot,
    ...(request.signal ? { signal: request.signal } : {}),
  });
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(fsllmError('ERR_FSLLM_ABORTED', 'runProgram was aborted while the toolchain was being prepared'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
