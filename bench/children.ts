/**
 * What the benches that compare two sides share: running one side as a child process that ends with a JSON
 * line (optionally watched for memory), and finding the anchor's Python (bench/setup's virtualenv).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { procMemory } from './procMemory.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The last line of `stdout` that starts with `{`, parsed. */
export function lastJsonLine(stdout: string, what: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) throw new Error(`${what} printed no JSON line`);
  return JSON.parse(line) as Record<string, unknown>;
}

/**
 * Runs `command args` from the repository root with `env`, its stderr shown as it comes, and returns its last
 * JSON line; `bench` prefixes the progress lines.
 */
export function runJsonChild(bench: string, command: string, args: string[], what: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  console.error(`${bench}: running ${what} ...`);
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env, maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${what} failed with exit code ${r.status}`);
  const out = lastJsonLine(r.stdout, what);
  console.error(`${bench}: ${what}: ${JSON.stringify(out)}`);
  return out;
}

/** bench/setup's Python (`bench/.venv`, else `bench/.venv-debian`), or null when neither exists. */
export function defaultPython(): string | null {
  for (const venv of ['.venv', '.venv-debian']) {
    const py = path.join(root, 'bench', venv, 'bin', 'python');
    if (existsSync(py)) return py;
  }
  return null;
}

/** How a watched child ended: its last JSON line, or why there is none; and the highest VmHWM seen. */
export interface WatchedChild {
  result: Record<string, unknown> | null;
  error: string | null;
  /** Highest peak RSS read from the child's /proc status while it ran (null off Linux). */
  observedPeakRssBytes: number | null;
}

/**
 * As {@link runJsonChild}, but the child's memory is read every `everyMs` and a child whose RSS passes
 * `rssCapBytes` is killed (SIGKILL, by its pid): on a machine without swap the alternative is the kernel's
 * OOM killer, which may pick another process. A child that fails or is stopped is reported, not thrown, so
 * one setting that does not fit leaves the others to run.
 */
export function runJsonChildWatched(
  bench: string, command: string, args: string[], what: string, env: NodeJS.ProcessEnv, rssCapBytes: number, everyMs = 50,
): Promise<WatchedChild> {
  console.error(`${bench}: running ${what} (stopped above ${(rssCapBytes / 2 ** 30).toFixed(1)} GiB RSS) ...`);
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  let peak: number | null = null;
  let stopped: string | null = null;
  const watch = setInterval(() => {
    const m = child.pid === undefined ? null : procMemory(child.pid);
    if (!m) return;
    peak = Math.max(peak ?? 0, m.peakRss);
    if (m.rss > rssCapBytes && stopped === null) {
      stopped = `stopped at ${(m.rss / 2 ** 30).toFixed(2)} GiB RSS (cap ${(rssCapBytes / 2 ** 30).toFixed(1)} GiB; anon ${((m.anon ?? 0) / 2 ** 30).toFixed(2)}, file ${((m.file ?? 0) / 2 ** 30).toFixed(2)})`;
      child.kill('SIGKILL');
    }
  }, everyMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(watch);
      let result: Record<string, unknown> | null = null;
      let error = stopped ?? (code === 0 ? null : `failed with ${signal ? `signal ${signal}` : `exit code ${code}`}`);
      if (error === null) {
        try {
          result = lastJsonLine(stdout, what);
        } catch (e) {
          error = (e as Error).message;
        }
      }
      console.error(`${bench}: ${what}: ${error ?? JSON.stringify(result)}`);
      resolve({ result, error, observedPeakRssBytes: peak });
    });
  });
}
