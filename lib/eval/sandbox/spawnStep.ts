/**
 * Runs one step of a sample and waits for it: a detached process group (its own session), killed whole at
 * the wall-clock deadline or on abort, output kept up to the cap. In namespaced isolation the step's PID 1
 * reports "ready" on fd 3 once the sample's file system is built; a step that never says so failed to set
 * up (the sandbox's fault, not the program's), and fd 3 then carries the set-up's error message.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

import { CappedOutput } from './CappedOutput.js';

/** One step as spawned: its argv, cwd (host path) and whole environment. */
export interface SpawnStepSpec {
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  outputBytes: number;
  /** Whether PID 1 reports readiness on fd 3 (namespaced isolation). */
  reportsReady: boolean;
  signal?: AbortSignal;
}

/** What came of one step. */
export interface StepOutcome {
  /** False when set-up failed before the command started; `setupMessage` says why. */
  ready: boolean;
  setupMessage: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  stdout: CappedOutput;
  stderr: CappedOutput;
  ms: number;
}

// After the group leader exits, how long stray holders of its pipes get before the pipes are cut.
const DRAIN_MS = 1_000;

/** Spawns the step and resolves once it and its output are done; never rejects. */
export function spawnStep(spec: SpawnStepSpec): Promise<StepOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const stdout = new CappedOutput(spec.outputBytes);
    const stderr = new CappedOutput(spec.outputBytes);
    const status = new CappedOutput(16 * 1024);
    let timedOut = false;
    let aborted = false;
    let spawnError: Error | undefined;
    const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', spec.reportsReady ? 'pipe' : 'ignore'],
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, spec.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    (child.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => status.push(chunk));
    child.on('error', (error) => {
      spawnError = error;
    });
    let drain: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      // Whatever else is still in the group (a background child without namespaces) goes with the leader.
      killGroup();
      drain = setTimeout(() => {
        for (const stream of child.stdio) (stream as { destroy?: () => void } | null)?.destroy?.();
      }, DRAIN_MS);
    });
    child.on('close', (code, signalName) => {
      clearTimeout(timer);
      clearTimeout(drain);
      spec.signal?.removeEventListener('abort', onAbort);
      const statusText = status.text();
      const ready = !spec.reportsReady || /^ready$/m.test(statusText);
      const decoded = decodeStatus(code, signalName, spec.reportsReady);
      resolve({
        ready: ready && spawnError === undefined,
        setupMessage: spawnError ? `could not start ${spec.argv[0]}: ${spawnError.message}` : statusText.replace(/^ready$/m, '').trim(),
        ...decoded,
        timedOut,
        aborted,
        stdout,
        stderr,
        ms: performance.now() - started,
      });
    });
  });
}

/**
 * The step's exit code and signal. In namespaced isolation the command is PID 1's child, and a shell
 * reports a child killed by signal N as status 128+N: read back as that signal (a program that itself
 * exits with 129..192 is taken for a signal too; either way it failed).
 */
function decodeStatus(code: number | null, signal: NodeJS.Signals | null, viaShell: boolean): { exitCode: number | null; signal: string | null } {
  if (signal !== null || code === null) return { exitCode: null, signal: signal ?? 'SIGKILL' };
  if (viaShell && code > 128) {
    const name = Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0];
    if (name !== undefined) return { exitCode: null, signal: name };
  }
  return { exitCode: code, signal: null };
}
