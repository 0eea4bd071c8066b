/**
 * Go's warm build cache. `go test` on a cold cache compiles the standard library first (about 40 CPU-seconds,
 * minutes on a loaded machine); on a warm one a HumanEval-X sample builds in about a second. The cache is
 * built once per toolchain, by a trusted program that imports every package HumanEval-X's Go prompts use,
 * run in the sandbox like any sample (same paths, same flags, hence the same cache keys) but with the cache
 * writable. Samples then see it through an overlay: they read it and add their own entries in their own
 * directory, and can neither change nor poison it for the next sample. Without namespaces (`allowNetwork`),
 * samples write to it directly.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

import { fsllmError } from '../../errors/index.js';
import { TESTIFY_SHIM } from './languages/goTestifyShim.js';
import type { LanguageSpec } from './languages/index.js';
import { DEFAULT_COMPILE_LIMITS } from './limits.js';
import { runSample, type SampleEnvironment } from './runSample.js';

/** The packages HumanEval-X's Go programs import (prompts, tests and the reference's import helper). */
const WARM_PACKAGES = ['bytes', 'crypto/md5', 'errors', 'fmt', 'math', 'math/rand', 'reflect', 'regexp', 'sort', 'strconv', 'strings', 'time', 'unicode'];

const WARM_TEST = `package main

import (
${WARM_PACKAGES.map((pkg) => `\t_ "${pkg}"\n`).join('')}\t"testing"

\t"github.com/stretchr/testify/assert"
)

func TestWarm(t *testing.T) {
\tassert.New(t).Equal(1, 1)
}
`;

// A cold standard-library build on a slow machine, with room to spare.
const WARM_LIMITS = { ...DEFAULT_COMPILE_LIMITS, timeoutMs: 20 * 60_000, cpuSeconds: 20 * 60 };

const MARKER = '.fsllm-warm';

/**
 * The warm cache of this toolchain under `cacheRoot`, built first if it is not there yet.
 * @param version the toolchain's `go version` line (part of the cache's name).
 * @throws `ERR_FSLLM_UNSUPPORTED` when the warm-up program does not build.
 */
export async function warmGoCache(env: SampleEnvironment, go: LanguageSpec, cacheRoot: string, tempRoot: string, version: string): Promise<NonNullable<SampleEnvironment['cache']>> {
  const key = createHash('sha256').update(`${env.toolchain.root}\n${version}\n${WARM_TEST}\n${JSON.stringify(TESTIFY_SHIM)}`).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot, `go-build-${key}`);
  const namespaced = env.isolation.namespaces !== 'none';
  await fs.mkdir(dir, { recursive: true });
  // Without namespaces nothing can chown the cache to each sample's uid: it is shared, writable by all.
  if (!namespaced && env.isolation.ownUid) await openToAll(dir);
  if (existsSync(path.join(dir, MARKER))) return { dir, mode: namespaced ? 'overlay' : 'rw' };
  const warm = await runSample({
    env: { ...env, cache: { dir, mode: 'rw' } },
    language: go,
    files: { 'main_test.go': WARM_TEST },
    steps: [{ phase: 'compile', limits: WARM_LIMITS, cache: true, command: (ctx) => go.compile!(ctx) }],
    passWhen: 'exit0',
    linkLibraries: [],
    tempRoot,
  });
  if (warm.status !== 'passed') {
    throw fsllmError('ERR_FSLLM_UNSUPPORTED', `could not warm Go's build cache in ${dir} (${warm.status}): ${warm.stderr.slice(-2000)}`, { path: dir });
  }
  await fs.writeFile(path.join(dir, MARKER), `${version}\n`);
  if (!namespaced && env.isolation.ownUid) await openToAll(dir);
  return { dir, mode: namespaced ? 'overlay' : 'rw' };
}

async function openToAll(dir: string): Promise<void> {
  await fs.chmod(dir, 0o777);
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    await fs.chmod(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o777 : 0o666);
  }
}
