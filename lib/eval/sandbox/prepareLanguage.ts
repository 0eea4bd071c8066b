/**
 * Everything a language needs before its first sample, done once per process and isolation: find the
 * toolchain, decide whether the sample must see it through a mount, prove it runs inside the sandbox (a
 * toolchain that cannot start there would otherwise fail every sample and read as a pass@k of zero), and
 * build its warm cache (Go's standard library, Rust's stand-in crates).
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { fsllmError } from '../../errors/index.js';
import type { LanguageSpec } from './languages/index.js';
import { DEFAULT_RUN_LIMITS } from './limits.js';
import type { SandboxIsolation } from './probeIsolation.js';
import { runSample, type SampleEnvironment } from './runSample.js';
import { warmCache } from './warmCache.js';

/** Where preparation writes: sample directories and the warm caches. */
export interface PrepareOptions {
  tempRoot: string;
  cacheRoot: string;
}

// Starting a JVM or rustc on a loaded machine.
const CHECK_LIMITS = { ...DEFAULT_RUN_LIMITS, timeoutMs: 60_000, cpuSeconds: 30 };

const prepared = new Map<string, Promise<SampleEnvironment>>();

/**
 * The language's sample environment, prepared on first call (a failed preparation is retried next time).
 * @throws `ERR_FSLLM_UNSUPPORTED` when the toolchain is missing, unreachable or does not run in the sandbox.
 */
export function prepareLanguage(spec: LanguageSpec, isolation: SandboxIsolation, options: PrepareOptions): Promise<SampleEnvironment> {
  const key = JSON.stringify([spec.language, isolation.namespaces, isolation.ownUid, options.tempRoot, options.cacheRoot]);
  let entry = prepared.get(key);
  if (entry === undefined) {
    entry = prepare(spec, isolation, options);
    prepared.set(key, entry);
    entry.catch(() => prepared.delete(key));
  }
  return entry;
}

async function prepare(spec: LanguageSpec, isolation: SandboxIsolation, options: PrepareOptions): Promise<SampleEnvironment> {
  const toolchain = await spec.locate();
  const hide = hiddenFolders(isolation, options.tempRoot);
  const reachable = !isolation.ownUid || reachableByAll(toolchain.root);
  if (isolation.namespaces === 'none' && !reachable) {
    throw fsllmError('ERR_FSLLM_UNSUPPORTED', `${spec.tool} in ${toolchain.root} is not readable by the samples' uid, and without a mount namespace it cannot be shown to them; install it outside private folders`, { path: toolchain.root });
  }
  // Covered folders hide whatever is under them; the toolchain is then shown at /tmp/.toolchain instead.
  const covered = ['/tmp', '/dev/shm', ...hide].some((dir) => isInside(toolchain.root, dir));
  const env: SampleEnvironment = { isolation, toolchain, mountToolchain: isolation.namespaces !== 'none' && (!reachable || covered), hide };
  const check = await runSample({
    env,
    language: spec,
    files: {},
    steps: [{ phase: 'run', limits: CHECK_LIMITS, command: (ctx) => spec.check(ctx) }],
    passWhen: 'exit0',
    linkLibraries: [],
    tempRoot: options.tempRoot,
  });
  if (check.status !== 'passed') {
    const said = `${check.stderr}\n${check.stdout}`.trim().slice(-2000);
    throw fsllmError('ERR_FSLLM_UNSUPPORTED', `${spec.tool} in ${toolchain.root} does not run inside the sandbox (${check.status}, exit ${check.exitCode ?? check.signal}): ${said}`, { path: toolchain.root });
  }
  if (spec.warmUp === undefined) return env;
  return { ...env, cache: await warmCache(env, spec, options.cacheRoot, options.tempRoot, check.stdout.trim()) };
}

/**
 * Host folders a sample must not see: /run (daemon sockets: a path socket is reachable from any network
 * namespace); the temp root, where other samples' directories are (/tmp is covered anyway); and, in a user
 * namespace where the sample keeps the user's own uid, the user's home.
 */
function hiddenFolders(isolation: SandboxIsolation, tempRoot: string): string[] {
  const hide = ['/run'];
  if (path.resolve(tempRoot) !== '/' && !['/tmp', '/dev/shm'].some((dir) => isInside(tempRoot, dir))) hide.push(tempRoot);
  const home = os.homedir();
  if (isolation.namespaces === 'user' && home !== '/') hide.push(home);
  return hide;
}

/** Whether any uid may reach `dir`: every folder from / down to it searchable by others. */
function reachableByAll(dir: string): boolean {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      if ((statSync(at).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (at === path.dirname(at)) return true;
  }
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
