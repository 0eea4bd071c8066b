/**
 * One trial-rung as a real `fsllm run` process: `node <cli> run --cfg <cfg> <overrides> output.dir=<dir>
 * output.resume=true [federate.totalRounds=N]`, its output appended to `<dir>/trial.log`. Each process leads its
 * own process group, so aborting the search (Ctrl-C, an AbortSignal) stops the trial and anything it forked:
 * SIGINT first (the run stops between steps), SIGKILL after a grace period. A search killed outright (SIGKILL)
 * cannot signal anyone: each trial's stdin is then a pipe from the search, whose end the trial watches
 * (FSLLM_STOP_WITH_PARENT, see lib/cli/stopWithParent.ts), so trials stop with it. Resuming is always on: a fresh
 * folder starts at round 0, an interrupted or promoted trial continues from its last checkpoint.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

import { fsllmError } from '../errors/index.js';

/** What one trial process runs. */
export interface TrialProcessOptions {
  /** The CLI entry (`dist/cli/main.js`). */
  cli: string;
  cfg: string;
  /** The search's base overrides, then the trial's values, as `key=value`. */
  overrides: readonly string[];
  /** The trial's output folder (output.dir). */
  dir: string;
  /** federate.totalRounds for this rung; the config's own when absent. */
  rounds?: number;
  /** Extra environment (thread counts when several trials share the machine). */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** How long an aborted trial gets to stop after SIGINT before SIGKILL (default 5000). */
  graceMs?: number;
}

/** How the process ended. */
export interface TrialProcessResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  seconds: number;
  /** The last lines of the log, for the record of a failed trial. */
  tail: string;
}

/** The log of a trial's processes (one section per rung), in the trial's folder. */
export const TRIAL_LOG = 'trial.log';

/** The arguments after `node`. */
export function trialArgs(o: Pick<TrialProcessOptions, 'cli' | 'cfg' | 'overrides' | 'dir' | 'rounds'>): string[] {
  return [o.cli, 'run', '--cfg', o.cfg, ...o.overrides, `output.dir=${o.dir}`, 'output.resume=true',
    ...(o.rounds !== undefined ? [`federate.totalRounds=${o.rounds}`] : [])];
}

/** The last `lines` non-empty lines of `file` (at most its last 16 KiB are read). */
async function tailOf(file: string, lines = 12): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 16384);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(-lines).join('\n');
  } finally {
    await handle.close();
  }
}

/** Signals the process group led by `pid`; a group that is gone already is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has exited
  }
}

/**
 * Runs one trial-rung to its end.
 * @returns the exit code (non-zero: the trial failed), wall time and the end of its log.
 * @throws `ERR_FSLLM_ABORTED` when `signal` aborted (the process group was stopped); `ERR_FSLLM_LOAD` when the
 *   CLI entry is missing or the process cannot start.
 */
export async function runTrialProcess(o: TrialProcessOptions): Promise<TrialProcessResult> {
  if (!existsSync(o.cli)) {
    throw fsllmError('ERR_FSLLM_LOAD', `${o.cli} not found: trials run the built CLI; run \`npm run build:ts\` (or pass the path of fsllm's dist/cli/main.js)`, { path: o.cli });
  }
  if (o.signal?.aborted) throw fsllmError('ERR_FSLLM_ABORTED', `trial ${path.basename(o.dir)} was aborted before it started`, { cause: o.signal.reason });
  await mkdir(o.dir, { recursive: true });
  const log = path.join(o.dir, TRIAL_LOG);
  const fd = openSync(log, 'a');
  const args = trialArgs(o);
  writeSync(fd, `\n$ node ${args.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
  const started = Date.now();
  let child;
  try {
    child = spawn(process.execPath, args, { detached: true, stdio: ['pipe', fd, fd], env: { ...process.env, ...o.env, FSLLM_STOP_WITH_PARENT: '1' } });
  } finally {
    closeSync(fd);   // the child holds its own copy
  }
  const pid = child.pid;
  // Ends the group if this process exits first (an uncaught error in the search).
  const onExit = () => pid !== undefined && signalGroup(pid, 'SIGKILL');
  process.once('exit', onExit);
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    if (pid === undefined) return;
    signalGroup(pid, 'SIGINT');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), o.graceMs ?? 5000);
    killTimer.unref();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => reject(fsllmError('ERR_FSLLM_LOAD', `cannot start the trial process (${err.message})`, { cause: err })));
      child.once('exit', (c) => resolve(c));
    });
    // A trial that finished as the abort came counts: its results are whole.
    if (o.signal?.aborted && code !== 0) throw fsllmError('ERR_FSLLM_ABORTED', `trial ${path.basename(o.dir)} was aborted`, { cause: o.signal.reason });
    return { code, seconds: (Date.now() - started) / 1000, tail: code === 0 ? '' : await tailOf(log) };
  } finally {
    clearTimeout(killTimer);
    o.signal?.removeEventListener('abort', onAbort);
    process.removeListener('exit', onExit);
    // Forked helpers (client processes) of a trial that ended badly must not outlive it.
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  }
}
