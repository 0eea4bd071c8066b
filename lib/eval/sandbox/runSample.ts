/**
 * One sample, start to end: its own uid (as root), its own directory with the program and the language's
 * support files, each step in the sample's isolation, the status that decides, and the directory removed
 * whatever happened. Callers have already chosen the isolation and found a working toolchain
 * (prepareLanguage.ts); this file decides nothing about either.
 */
import path from 'node:path';

import { fsllmError } from '../../errors/index.js';
import type { LanguageSpec, StepContext, Toolchain } from './languages/index.js';
import type { SandboxIsolation } from './probeIsolation.js';
import { makeSampleDir, removeSampleDir } from './sampleDir.js';
import { acquireSandboxUid, releaseSandboxUid } from './sandboxUids.js';
import { SANDBOX_PATHS, type MountPlan } from './setupScript.js';
import { spawnStep, type StepOutcome } from './spawnStep.js';
import { stepCommand } from './stepCommand.js';
import type { PassWhen, RunProgramResult, SandboxLimits } from './types.js';

/** Where and how a language's samples run; made once per language by prepareLanguage.ts. */
export interface SampleEnvironment {
  isolation: SandboxIsolation;
  toolchain: Toolchain;
  /** Mount the toolchain at /tmp/.toolchain (the sample's uid could not reach it where it is). */
  mountToolchain: boolean;
  /** Host folders covered by an empty read-only tmpfs. */
  hide: readonly string[];
  cache?: { dir: string; mode: 'overlay' | 'rw' };
}

/** One step: which phase it reports as, its limits and its command. */
export interface SampleStep {
  phase: 'compile' | 'run';
  limits: Readonly<SandboxLimits>;
  /** Mount the language's compiler cache (compile steps only: the program itself never runs with it). */
  cache?: boolean;
  command(ctx: StepContext): string[];
}

/** One sample: where it runs, its files and steps, and what decides that it passed. */
export interface SampleSpec {
  env: SampleEnvironment;
  language: LanguageSpec;
  /** The program's files, entry point first. */
  files: Readonly<Record<string, string>>;
  steps: readonly SampleStep[];
  passWhen: PassWhen;
  linkLibraries: readonly string[];
  tempRoot: string;
  signal?: AbortSignal;
}

// The private /tmp of a sample, MiB: room for a compiler's temporary files, not for filling the host's memory.
const TMP_MIB = 128;

/** @throws `ERR_FSLLM_ABORTED` when `signal` aborts; every other outcome is a result. */
export async function runSample(spec: SampleSpec): Promise<RunProgramResult> {
  const started = performance.now();
  const { isolation } = spec.env;
  const uid = isolation.ownUid ? acquireSandboxUid() : undefined;
  try {
    const support = spec.language.supportFiles?.(Object.keys(spec.files)) ?? {};
    const dir = await makeSampleDir(spec.tempRoot, { ...support, ...spec.files, '.fsllm/tmp/.keep': '' }, uid);
    try {
      let outcome: StepOutcome | undefined;
      let phase: SampleStep['phase'] = 'run';
      for (const step of spec.steps) {
        phase = step.phase;
        // Checked right before the spawn, which then watches the signal itself.
        if (spec.signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', 'runProgram was aborted before its sample started');
        outcome = await runStep(spec, step, dir, uid);
        if (outcome.aborted) throw fsllmError('ERR_FSLLM_ABORTED', 'runProgram was aborted; the sample was killed');
        if (!passedStep(outcome, 'exit0')) break;
      }
      return result(spec, phase, outcome!, started);
    } finally {
      await removeSampleDir(dir);
    }
  } finally {
    if (uid !== undefined) releaseSandboxUid(uid);
  }
}

function runStep(spec: SampleSpec, step: SampleStep, hostDir: string, uid: number | undefined): Promise<StepOutcome> {
  const { env } = spec;
  const namespaced = env.isolation.namespaces !== 'none';
  const ctx = stepContext(spec, step, hostDir);
  const mounts: MountPlan | undefined = namespaced
    ? {
        sampleDir: hostDir,
        ...(env.mountToolchain ? { toolchainRoot: env.toolchain.root } : {}),
        ...(env.cache && step.cache ? { cache: env.cache } : {}),
        ...(uid !== undefined ? { owner: uid } : {}),
        hide: env.hide,
        tmpMiB: TMP_MIB,
      }
    : undefined;
  const argv = stepCommand({ isolation: env.isolation, ...(uid !== undefined ? { uid } : {}), ...(mounts ? { mounts } : {}), limits: step.limits, command: step.command(ctx) });
  return spawnStep({
    argv,
    cwd: hostDir,
    env: stepEnv(spec, ctx, namespaced),
    timeoutMs: step.limits.timeoutMs,
    outputBytes: step.limits.outputBytes,
    reportsReady: namespaced,
    ...(spec.signal ? { signal: spec.signal } : {}),
  });
}

function stepContext(spec: SampleSpec, step: SampleStep, hostDir: string): StepContext {
  const { env } = spec;
  const namespaced = env.isolation.namespaces !== 'none';
  const dir = namespaced ? SANDBOX_PATHS.sample : hostDir;
  const toolchainRoot = env.mountToolchain ? SANDBOX_PATHS.toolchain : env.toolchain.root;
  const fallbackCache = path.posix.join(dir, '.fsllm', 'cache');
  return {
    dir,
    files: Object.keys(spec.files),
    program(name) {
      const relative = env.toolchain.programs[name];
      if (relative === undefined) throw new Error(`toolchain has no program ${name}`);
      return path.posix.join(toolchainRoot, relative);
    },
    cacheDir: env.cache === undefined || !step.cache ? fallbackCache : namespaced ? SANDBOX_PATHS.cache : env.cache.dir,
    limits: step.limits,
    linkLibraries: spec.linkLibraries,
  };
}

/** The whole environment of a step: nothing of the harness's own (no tokens, no keys), only what tools need. */
function stepEnv(spec: SampleSpec, ctx: StepContext, namespaced: boolean): Record<string, string> {
  const firstProgram = Object.keys(spec.env.toolchain.programs)[0]!;
  return {
    PATH: [path.posix.dirname(ctx.program(firstProgram)), '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'].join(':'),
    HOME: ctx.dir,
    LANG: 'C.UTF-8',
    // Without a private /tmp, temporary files go to the sample's own directory instead.
    ...(namespaced ? {} : { TMPDIR: path.posix.join(ctx.dir, '.fsllm', 'tmp') }),
    ...spec.language.env?.(ctx),
  };
}

function passedStep(outcome: StepOutcome, passWhen: PassWhen): boolean {
  if (!outcome.ready || outcome.timedOut || outcome.exitCode !== 0) return false;
  return passWhen === 'exit0' || (outcome.stdout.totalBytes === 0 && outcome.stderr.totalBytes === 0);
}

function result(spec: SampleSpec, phase: SampleStep['phase'], outcome: StepOutcome, started: number): RunProgramResult {
  const passWhen = phase === 'run' ? spec.passWhen : 'exit0';
  const status = !outcome.ready
    ? 'error'
    : outcome.timedOut || outcome.signal === 'SIGXCPU'
      ? 'timeout'
      : passedStep(outcome, passWhen)
        ? 'passed'
        : 'failed';
  return {
    status,
    phase,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    stdout: outcome.stdout.text(),
    stderr: outcome.ready ? outcome.stderr.text() : `fsllm sandbox set-up failed: ${outcome.setupMessage}`,
    stdoutTruncated: outcome.stdout.truncated,
    stderrTruncated: outcome.stderr.truncated,
    ms: Math.round(performance.now() - started),
    isolation: { namespaces: spec.env.isolation.namespaces, ownUid: spec.env.isolation.ownUid },
  };
}
