// runProgram's options and contract: argument checks, the refusal without namespaces, allowNetwork,
// output caps, limits, passWhen, abort, and SandboxPool's concurrency. Real processes where a sample runs.
import os from 'node:os';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { probeIsolation, runProgram, SandboxPool, type RunProgramOptions } from '../../lib/eval/sandbox/index.js';
import { LANGUAGES } from '../../lib/eval/sandbox/languages/index.js';
import { DEFAULT_RUN_LIMITS } from '../../lib/eval/sandbox/limits.js';
import { runProgramWith } from '../../lib/eval/sandbox/runProgram.js';
import { runSample } from '../../lib/eval/sandbox/runSample.js';
import { fails } from '../helpers/errors.js';
import { namespaces, onPath, when } from '../helpers/requirements.js';
import { eventually, processesWith, uniqueSleep } from './_sandboxHost.js';

const NAMESPACES = namespaces();
const py = (source: string, extra: Partial<RunProgramOptions> = {}): RunProgramOptions => ({ language: 'python', source, ...extra });

// ---

const args = suite('runProgram :: arguments');

const BAD: readonly [string, RunProgramOptions, RegExp][] = [
  ['unknown language', { language: 'cobol' as 'python', source: '' }, /language/],
  ['source and files', { language: 'python', source: '', files: { 'a.py': '' } }, /exactly one of source and files/],
  ['neither source nor files', { language: 'python' }, /exactly one of source and files/],
  ['a path as file name', { language: 'python', files: { '../escape.py': '' } }, /plain file names/],
  ["the harness's own folder", { language: 'python', source: '', fileName: '.fsllm' }, /no leading dot/],
  ['a negative timeout', { language: 'python', source: '', limits: { timeoutMs: -1 } }, /limits\.timeoutMs/],
  ['an unknown limit', { language: 'python', source: '', compileLimits: { ram: 1 } as never }, /compileLimits\.ram/],
  ['a flag as library', { language: 'cpp', source: '', linkLibraries: ['-o/etc/passwd'] }, /linkLibraries/],
  ['a relative temp root', { language: 'python', source: '', tempRoot: 'tmp' }, /tempRoot/],
  ['an unknown passWhen', { language: 'js', source: '', passWhen: 'quiet' as 'silent' }, /passWhen/],
];

for (const [what, options, message] of BAD) {
  args(`should throw synchronously :: ${what}`, async () => {
    let promise: Promise<unknown> | undefined;
    await fails(() => {
      promise = runProgram(options);
    }, 'ERR_FSLLM_INVALID_ARG', message);
    assert.is(promise, undefined, 'no promise was made');
  });
}

args('should refuse a pool of zero workers', async () => {
  await fails(() => new SandboxPool({ workers: 0 }), 'ERR_FSLLM_INVALID_ARG', /workers/);
});

args.run();

// ---

const isolation = suite('runProgram :: without namespaces');

isolation('should refuse to run without a network namespace unless allowNetwork says so', async () => {
  const none = { ...(await probeIsolation()), namespaces: 'none' as const, reason: 'unshare is not on PATH' };
  await fails(() => runProgramWith(none, { language: 'js', source: '' }), 'ERR_FSLLM_UNSUPPORTED', /unshare is not on PATH/, /allowNetwork: true/);
});

isolation('should refuse to run without prlimit', async () => {
  const bare = { namespaces: 'none' as const, ownUid: false, tools: { sh: '/bin/sh' } };
  await fails(() => runProgramWith(bare, { language: 'js', source: '', allowNetwork: true }), 'ERR_FSLLM_UNSUPPORTED', /prlimit/);
});

const allowed = when({ ...onPath('prlimit'), met: process.platform === 'linux' && onPath('prlimit').met }, suite('runProgram :: allowNetwork'));

allowed('should run a sample with limits only, and say so in the result', async () => {
  const none = { ...(await probeIsolation()), namespaces: 'none' as const };
  const result = await runProgramWith(none, { language: 'js', source: 'if (process.env.HOME === undefined) process.exit(3);', allowNetwork: true });
  assert.is(result.status, 'passed', result.stderr);
  assert.is(result.isolation.namespaces, 'none');
});

isolation.run();
allowed.run();

// ---

const limits = when(NAMESPACES, suite('runProgram :: limits and output'));

limits('should keep outputBytes of the output and say it cut the rest', async () => {
  const result = await runProgram(py("import sys\nsys.stdout.write('x' * 1_000_000)", { limits: { outputBytes: 1000 } }));
  assert.is(result.status, 'passed');
  assert.is(result.stdout, 'x'.repeat(1000));
  assert.ok(result.stdoutTruncated);
  assert.not.ok(result.stderrTruncated);
});

limits('should fail a sample that writes a file over fileBytes', async () => {
  const result = await runProgram(py("open('big', 'wb').write(b'x' * 2_000_000)", { limits: { fileBytes: 1_000_000 } }));
  assert.is(result.status, 'failed');
  assert.match(result.stderr, /File too large/);
});

limits('should stop a busy loop at cpuSeconds, before its wall-clock timeout', async () => {
  const result = await runProgram(py('while True: pass', { limits: { cpuSeconds: 1, timeoutMs: 20_000 } }));
  assert.is(result.status, 'timeout');
  assert.is(result.signal, 'SIGXCPU');
  assert.ok(result.ms < 10_000, `${result.ms} ms`);
});

limits("should pass a 'silent' program only when it prints nothing", async () => {
  const quiet = await runProgram({ language: 'js', source: 'console.assert(1 === 1)', passWhen: 'silent' });
  const loud = await runProgram({ language: 'js', source: 'console.assert(1 === 2)', passWhen: 'silent' });
  assert.is(quiet.status, 'passed');
  assert.is(loud.status, 'failed');
  assert.is(loud.exitCode, 0);
  assert.match(loud.stderr, /Assertion failed/);
});

limits("should report a sample whose set-up fails as 'error', with the set-up's message", async () => {
  const result = await runSample({
    env: { isolation: await probeIsolation(), toolchain: { root: '/nonexistent/toolchain', programs: { node: 'bin/node' } }, mountToolchain: true, hide: [] },
    language: LANGUAGES.js,
    files: { 'main.js': '' },
    steps: [{ phase: 'run', limits: DEFAULT_RUN_LIMITS, command: (ctx) => LANGUAGES.js.run(ctx) }],
    passWhen: 'exit0',
    linkLibraries: [],
    tempRoot: os.tmpdir(),
  });
  assert.is(result.status, 'error');
  assert.match(result.stderr, /set-up failed: .*nonexistent/s);
});

limits.run();

// ---

const abort = when(NAMESPACES, suite('runProgram :: abort'));

abort('should kill the sample and reject with ERR_FSLLM_ABORTED', async () => {
  const marker = uniqueSleep();
  const controller = new AbortController();
  const running = runProgram(py(`import subprocess\nsubprocess.run(['sleep', '${marker}'])`, { signal: controller.signal }));
  await eventually(() => processesWith(marker).length > 0, 10_000);
  controller.abort();
  await fails(() => running, 'ERR_FSLLM_ABORTED');
  assert.ok(await eventually(() => processesWith(marker).length === 0), `left running: ${processesWith(marker).join('\n')}`);
});

abort('should reject a sample aborted while it waits for a worker, without running it', async () => {
  const pool = new SandboxPool({ workers: 1 });
  const first = pool.run(py('import time\ntime.sleep(0.5)'));
  const controller = new AbortController();
  const second = pool.run(py('print(1)', { signal: controller.signal }));
  controller.abort();
  await fails(() => second, 'ERR_FSLLM_ABORTED', /waiting for a worker/);
  assert.is((await first).status, 'passed');
});

abort.run();

// ---

const pool = when(NAMESPACES, suite('SandboxPool'));

pool('should run at most `workers` samples at a time, all to completion', async () => {
  const workers = new SandboxPool({ workers: 2 });
  let most = 0;
  const watch = setInterval(() => {
    most = Math.max(most, workers.running);
  }, 5);
  const results = await Promise.all([0, 1, 2, 3, 4].map((i) => workers.run(py(`import time\ntime.sleep(0.2)\nprint(${i})`))));
  clearInterval(watch);
  assert.equal(results.map((r) => r.stdout.trim()), ['0', '1', '2', '3', '4']);
  assert.is(most, 2);
  assert.is(workers.running, 0);
});

pool.run();
