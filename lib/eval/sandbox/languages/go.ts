/**
 * Go: `go test -c` (vet included, as `go test` runs it in the reference) into `./main.test`, then the test
 * binary. Offline by construction: GOPROXY=off, no cgo, the toolchain on the machine only; testify is the
 * stand-in of goTestifyShim.ts. Builds use a warm build cache (warmCache.ts): a cold one recompiles the
 * standard library, which takes minutes.
 */
import path from 'node:path';

import { findExecutable } from '../findExecutable.js';
import { GO_MOD, TESTIFY_SHIM } from './goTestifyShim.js';
import type { LanguageSpec, StepContext } from './languageSpec.js';
import { hostOutput, toolchainMissing } from './locate.js';

/** The packages HumanEval-X's Go programs import (prompts, tests and the reference's import helper). */
const WARM_PACKAGES = ['bytes', 'crypto/md5', 'errors', 'fmt', 'math', 'math/rand', 'reflect', 'regexp', 'sort', 'strconv', 'strings', 'time', 'unicode'];

// Built once into the warm cache: the standard library those packages need, testing, vet's facts, testify.
const WARM_TEST = `package main

import (
${WARM_PACKAGES.map((pkg) => `\t_ "${pkg}"\n`).join('')}\t"testing"

\t"github.com/stretchr/testify/assert"
)

func TestWarm(t *testing.T) {
\tassert.New(t).Equal(1, 1)
}
`;

const compile = (ctx: StepContext) => [ctx.program('go'), 'test', '-c', '-o', 'main.test', '.'];

/** Go with the go command on PATH (its GOROOT). */
export const go: LanguageSpec = {
  language: 'go',
  defaultFile: 'main_test.go',
  tool: 'go',
  async locate() {
    const found = findExecutable('go');
    if (found === undefined) throw toolchainMissing('go', 'go');
    const root = await hostOutput(found, ['env', 'GOROOT']);
    if (root === undefined || root === '') throw toolchainMissing('go', 'go', `(${found}) does not start`);
    return { root, programs: { go: path.join('bin', 'go') } };
  },
  check: (ctx) => [ctx.program('go'), 'version'],
  supportFiles: (files) => (files.includes('go.mod') ? { ...TESTIFY_SHIM } : { 'go.mod': GO_MOD, ...TESTIFY_SHIM }),
  warmUp: { files: { 'main_test.go': WARM_TEST }, steps: [compile] },
  env: (ctx) => ({
    GOCACHE: ctx.cacheDir,
    GOPATH: `${ctx.dir}/.fsllm/gopath`,
    GOENV: 'off',
    GOFLAGS: '',
    GOPROXY: 'off',
    GOSUMDB: 'off',
    GOTOOLCHAIN: 'local',
    GOWORK: 'off',
    GO111MODULE: 'on',
    CGO_ENABLED: '0',
    GOMAXPROCS: '2',
  }),
  compile,
  run: () => ['./main.test'],
};
