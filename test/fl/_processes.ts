// Helpers for tests that run `fsllm server` / `fsllm client` as real processes on 127.0.0.1
// (distributed.test.ts, restart.test.ts, joinDeadline.test.ts, hostileRun.test.ts): spawn with output capture,
// free ports, a small run config, bounded waits for an exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { SAMPLE_DATASETS, STORIES_BIN } from '../helpers/paths.js';

export const root = path.resolve(import.meta.dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');
/** Every process spawned here; a test file's `after` ends those still running (killAll). */
export const children: ChildProcess[] = [];

/** SIGKILLs the spawned processes that are still running. */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  waitFor: (pattern: RegExp, ms?: number) => Promise<void>;
}

/** Runs `node dist/cli/main.js ...args`; `waitFor` resolves once stdout+stderr match. */
export function fsllm(args: string[]): Proc {
  return watched(spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Runs the TypeScript file `script` (relative to the package root) with tsx, e.g. a rogue client; as `fsllm`. */
export function tsScript(script: string, args: string[]): Proc {
  return watched(spawn(process.execPath, ['--import', 'tsx', path.join(root, script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Captures `child`'s stdout+stderr and registers it for killAll. */
function watched(child: ChildProcess): Proc {
  children.push(child);
  let text = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (b: Buffer) => {
    text += b.toString();
    for (const w of [...waiters]) if (w.pattern.test(text)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, ms = 120_000) => new Promise<void>((resolve, reject) => {
    if (pattern.test(text)) return resolve();
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${text.slice(-3000)}`)), ms);
    waiters.push({ pattern, resolve: () => {
      clearTimeout(timer);
      resolve();
    } });
  });
  return { child, out: () => text, exited, waitFor };
}

/** What a test changes in the run config of `config`. */
export interface RunConfigOptions {
  /** federate.minClients; null leaves it unset (every client). Default 2. */
  minClients?: number | null;
  /** federate.deadlineSeconds. Default 30. */
  deadlineSeconds?: number;
  /** federate.totalRounds. Default 3. */
  totalRounds?: number;
}

/** A 3-client distributed run (3 rounds unless told) on 127.0.0.1:`port`, written to `dir`/run.yaml. */
export function config(dir: string, port: number, { minClients = 2, deadlineSeconds = 30, totalRounds = 3 }: RunConfigOptions = {}): string {
  const file = path.join(dir, 'run.yaml');
  const min = minClients === null ? '' : `, minClients: ${minClients}`;
  writeFileSync(file, `model: { path: ${STORIES_BIN} }
data: { type: gsm8k, root: ${SAMPLE_DATASETS}, subsample: 0.55, splits: [0.8, 0.1, 0.1], tokLen: 256 }
federate: { clientNum: 3, totalRounds: ${totalRounds}, seed: 2, deadlineSeconds: ${deadlineSeconds}${min} }
adapter: { r: 4, alpha: 8, dropout: 0, targets: [q_proj, v_proj] }
train: { localSteps: 3, batchSize: 2, optimizer: { type: adamw, lr: 0.003 } }
eval: { every: 1, splits: [test] }
output: { dir: ${path.join(dir, 'out')}, checkpointEvery: 1, report: false }
distribute: { host: 127.0.0.1, port: ${port}, tokens: { "1": tok-1, "2": tok-2, "3": tok-3 } }
`);
  return file;
}

/** `fsllm client --id K` for each of `ids`, with its token from `config`'s distribute.tokens. */
export const startClients = (cfg: string, ids: number[], ...overrides: string[]): Proc[] =>
  ids.map((id) => fsllm(['client', '--cfg', cfg, '--id', String(id), `distribute.token=tok-${id}`, ...overrides]));

/** Resolves with the exit code, or rejects after `ms` (every wait on a process should be bounded). */
export function exitWithin(p: Proc, ms: number): Promise<number | null> {
  return Promise.race([p.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms:\n${p.out().slice(-3000)}`)), ms).unref())]);
}

/** The round records of `dir`/out/metrics.jsonl. */
export const rounds = (dir: string) => readFileSync(path.join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n')
  .map((l) => JSON.parse(l) as { kind: string; round: number; clients?: number[] }).filter((r) => r.kind === 'round');
