// `fsllm eval` as a real process (dist/cli/main.js; build with `npx tsc -p tsconfig.json` first) on the
// embedded model and the committed samples: the final JSON line, --completions, Ctrl-C and resume, and the
// coded errors of bad flags.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { readGsm8k } from '../../lib/eval/index.js';
import { withTempDir } from '../eval/_support.js';
import { REPO, SAMPLE_DATA } from '../helpers/paths.js';
import { CLI as cli, fsllm, fsllmFails } from './_cli.js';

const fsllmEval = (args: string[]) => fsllm(['eval', ...args]);
const fsllmEvalFails = (args: string[]) => fsllmFails(['eval', ...args]);

/** The one line of stdout, parsed. */
function finalLine(stdout: string): Record<string, number | string> {
  const lines = stdout.split('\n').filter(Boolean);
  assert.is(lines.length, 1, `stdout: ${stdout}`);
  return JSON.parse(lines[0]!) as Record<string, number | string>;
}

function journalItems(file: string): number {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"index"')).length;
}

// ---

const evalCli = suite('fsllm eval');

evalCli('should end with one JSON line {task, n, ...metrics} and print nothing else with --json', async () => {
  const { stdout, stderr } = await fsllmEval(['--task', 'gsm8k', '--sample', '--limit', '2', '--style', 'alpaca', '--max-new-tokens', '8', '--json']);
  const line = finalLine(stdout);
  assert.equal(Object.keys(line), ['task', 'n', 'accuracy', 'generatedTokens', 'seconds']);
  assert.is(line['task'], 'gsm8k');
  assert.is(line['n'], 2);
  assert.ok((line['generatedTokens'] as number) > 0);
  assert.is(stderr, '');
});

evalCli('should score --completions with no model, exactly', () =>
  withTempDir(async (dir) => {
    const items = await readGsm8k(path.join(SAMPLE_DATA, 'gsm8k-test-sample.jsonl'));
    const file = path.join(dir, 'c.jsonl');
    await writeFile(file, [0, 1, 2, 3].map((i) => `${JSON.stringify({ index: i, completion: `The answer is ${i % 2 ? 'no' : items[i]!.target}.` })}\n`).join(''));
    const { stdout, stderr } = await fsllmEval(['--task', 'gsm8k', '--sample', '--completions', file]);
    assert.equal(finalLine(stdout), { ...finalLine(stdout), task: 'gsm8k', n: 4, accuracy: 0.5, generatedTokens: 0 });
    assert.match(stderr, /^gsm8k: accuracy 0\.5000 over 4 items/);
  }),
);

evalCli('should stop on Ctrl-C saying how to resume, and resume with the same --out', () =>
  withTempDir(async (dir) => {
    // One prompt per batch, so that Ctrl-C falls between items.
    const args = ['--task', 'rouge', '--sample', '--limit', '10', '--max-new-tokens', '16', '--batch-size', '1', '--out', dir];
    const journal = path.join(dir, 'rouge.journal.jsonl');
    const child = spawn(process.execPath, [cli, 'eval', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // One Ctrl-C only: a second one ends the process at once (as it should).
    const poll = setInterval(() => {
      if (!existsSync(journal) || journalItems(journal) < 2) return;
      clearInterval(poll);
      child.kill('SIGINT');
    }, 25);
    const code = await exited;
    clearInterval(poll);
    assert.is(code, 1);
    assert.match(stderr, /ERR_FSLLM_ABORTED: evaluation stopped after \d+ of 10 items; run the same command again to resume/);
    const before = journalItems(journal);
    assert.ok(before >= 2 && before < 10, `${before} items journaled before the stop`);
    const resumed = await fsllmEval(args);
    assert.is(finalLine(resumed.stdout)['n'], 10);
    assert.match(resumed.stderr, new RegExp(`${before} resumed from the journal`));
    assert.is(journalItems(journal), 10, 'each item journaled once');
    assert.is(readFileSync(path.join(dir, 'rouge.items.jsonl'), 'utf8').trim().split('\n').length, 10);
  }),
);

evalCli('should exit 1 with coded errors naming the flag (every case: evalArgs.test.ts)', async () => {
  const cases: [string[], RegExp][] = [
    [['--task', 'humaneval', '--shots', '3'], /^fsllm: ERR_FSLLM_INVALID_ARG: Expected a flag of gsm8k or mmlu \(not of --task humaneval\) for --shots/],
    [['--task', 'gsm8k', '--completions', 'c.jsonl', '--model', 'm.bin'], /ERR_FSLLM_INVALID_ARG: .* for --model/],
    [['--task', 'gsm8k', '--bogus'], /ERR_FSLLM_INVALID_ARG: Unknown option '--bogus'; see fsllm eval --help/],
  ];
  const stderrs = await Promise.all(cases.map(([args]) => fsllmEvalFails(args)));
  cases.forEach(([, message], i) => assert.match(stderrs[i]!, message));
});

evalCli('should print its usage for --help', async () => {
  const { stdout } = await fsllmEval(['--help']);
  assert.match(stdout, /fsllm eval --task gsm8k\|humaneval\|humaneval-x:LANG\|mmlu\|rouge/);
  assert.match(stdout, /--completions/);
});

evalCli.run();
