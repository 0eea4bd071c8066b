// Host-side checks for the sandbox tests: what is still running, and whether the host can still work (no suites here).
import { execFileSync, spawnSync } from 'node:child_process';

import { SANDBOX_UID_BASE } from '../../lib/eval/sandbox/sandboxUids.js';

/** Command lines of the host's processes that contain `marker`. */
export function processesWith(marker: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes(marker) && !line.includes('ps -eo'));
}

/** Processes running under a sandbox uid (only samples of this harness use them). */
export function sandboxUidProcesses(): string[] {
  const lines = execFileSync('ps', ['-eo', 'uid=,pid=,args='], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => Number(line.trim().split(/\s+/)[0]) >= SANDBOX_UID_BASE);
}

/** Whether the host can still start a process. */
export function hostCanSpawn(): boolean {
  return spawnSync('true').status === 0;
}

/** Polls `check` until it is true or `ms` pass (the kernel reaps a dying namespace asynchronously). */
export async function eventually(check: () => boolean, ms = 2_000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A marker unique to this test run, for argv of processes a sample leaves behind. */
export function uniqueSleep(): string {
  // `sleep` takes fractional seconds: a value nobody else uses marks our processes.
  return `86${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}.25`;
}
