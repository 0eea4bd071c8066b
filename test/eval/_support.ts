// Shared paths and readers of the lib/eval tests (no suites here).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { HumanEvalLanguage } from '../../lib/eval/index.js';
import { FIXTURES, SAMPLE_DATA } from '../helpers/paths.js';

export { DATASETS, SAMPLE_DATA } from '../helpers/paths.js';

/** The committed reference values (test/fixtures/eval, each made by the Python script beside it). */
export const EVAL_FIXTURES = path.join(FIXTURES, 'eval');

/** A fixture JSON file of test/fixtures/eval. */
export function evalFixture<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(EVAL_FIXTURES, name), 'utf8')) as T;
}

/** A committed data sample of assets/data (e.g. 'humaneval-sample.jsonl'). */
export const sample = (name: string): string => path.join(SAMPLE_DATA, name);

/** `'humaneval'` is OpenAI's Python file; the languages are HumanEval-X's. */
export type HumanEvalSampleSuite = 'humaneval' | HumanEvalLanguage;

/** The committed HumanEval sample (tasks 0-7) or a HumanEval-X language's (tasks 0, 2 and 162), for `readHumanEval`. */
export const humanEvalSample = (suite: HumanEvalSampleSuite): string =>
  sample(suite === 'humaneval' ? 'humaneval-sample.jsonl' : `humaneval-x-sample/humaneval_${suite}.jsonl`);

/** Runs `body` with a fresh temporary folder, removed afterwards whatever happens. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fsllm-eval-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
