/**
 * What the benches that compare two sides share: running one side as a child process that ends with a JSON
 * line, and finding the anchor's Python (bench/setup's virtualenv).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
