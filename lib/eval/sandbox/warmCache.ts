/**
 * A language's warm cache (languages' `warmUp`): Go's build cache, without which `go test` compiles the
 * standard library first (about 40 CPU-seconds, minutes on a loaded machine; a second with it), and Rust's
 * stand-in crates. It is built once per toolchain under `cacheRoot` by trusted files, run in the sandbox
 * like any sample (same paths and flags, hence for Go the same cache keys) but with the cache writable.
 * Compile steps then see it through an overlay: they read it and add their own entries in their own
 * directory, and can neither change nor poison it for the next sample. Without namespaces (`allowNetwork`),
 * samples write to it directly.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

import { fsllmError } from '../../errors/index.js';
import type { LanguageSpec } from './languages/index.js';
import { DEFAULT_COMPILE_LIMITS } from './limits.js';
import { runSample, type SampleEnvironment } from './runSample.js';

// A cold standard-library build on a slow machine, with room to spare.
const WARM_LIMITS = { ...DEFAULT_COMPILE_LIMITS, timeoutMs: 20 * 60_000, cpuSeconds: 20 * 60 };

const MARKER = '.fsllm-warm';

/**
 * The warm cache of this toolchain under `cacheRoot`, built first if it is not there yet.
 * @param version the toolchain's version line (part of the cache's name, with the warm-up's own code).
 * @throws `ERR_FSLLM_UNSUPPORTED` when a warm-up step fails.
 */
export async function warmCache(env: SampleEnvironment, spec: LanguageSpec, cacheRoot: string, tempRoot: string, version: string): Promise<NonNullable<SampleEnvironment['cache']>> {
  const warmUp = spec.warmUp!;
  const recipe = [env.toolchain.root, version, JSON.stringify(warmUp.files), ...warmUp.steps.map(String)].join('\n');
  const dir = path.join(cacheRoot, `${spec.language}-${createHash('sha256').update(recipe).digest('hex').slice(0, 16)}`);
  const namespaced = env.isolation.namespaces !== 'none';
  const mode = namespaced ? 'overlay' : 'rw';
  await fs.mkdir(dir, { recursive: true });
  // Without namespaces nothing can chown the cache to each sample's uid: it is shared, writable by all.
  if (!namespaced && env.isolation.ownUid) await openToAll(dir);
  if (existsSync(path.join(dir, MARKER))) return { dir, mode };
  const warm = await runSample({
    env: { ...env, cache: { dir, mode: 'rw' } },
    language: spec,
    files: warmUp.files,
    steps: warmUp.steps.map((command) => ({ phase: 'compile' as const, limits: WARM_LIMITS, cache: true, command })),
    passWhen: 'exit0',
    linkLibraries: [],
    tempRoot,
  });
  if (warm.status !== 'passed') {
    throw fsllmError('ERR_FSLLM_UNSUPPORTED', `could not build the ${spec.language} cache in ${dir} (${warm.status}): ${`${warm.stderr}\n${warm.stdout}`.trim().slice(-2000)}`, { path: dir });
  }
  await fs.writeFile(path.join(dir, MARKER), `${version}\n`);
  if (!namespaced && env.isolation.ownUid) await openToAll(dir);
  return { dir, mode };
}

async function openToAll(dir: string): Promise<void> {
  await fs.chmod(dir, 0o777);
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    await fs.chmod(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o777 : 0o666);
  }
}
