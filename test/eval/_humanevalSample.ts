// Programs for the sandbox tests, built from the committed HumanEval / HumanEval-X sample (no suites here).
//
// STAND-IN: the program assembly below is the minimum these tests need (prompt + solution + test, per
// language). lib/eval/humanevalPrograms.ts (branch wt-scorers) is the real one, laid out as the reference
// evaluators do; replace `program()` by it once it is merged.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { RunProgramOptions, SandboxLanguage } from '../../lib/eval/sandbox/index.js';
import { HUMANEVAL_SAMPLE } from '../helpers/paths.js';

/** One row of either file, with the fields the assembly uses. */
export interface SampleTask {
  task_id: string;
  prompt: string;
  canonical_solution: string;
  test: string;
  entry_point?: string;
  declaration?: string;
  test_setup?: string;
}

/** `'humaneval'` is OpenAI's Python file; the rest are HumanEval-X's. */
export type SampleSuite = 'humaneval' | SandboxLanguage;

export function sampleTasks(suite: SampleSuite): SampleTask[] {
  const file = suite === 'humaneval' ? 'HumanEval.jsonl' : `humaneval_${suite}.jsonl`;
  return readFileSync(path.join(HUMANEVAL_SAMPLE, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SampleTask);
}

/** The options that run `completion` (the canonical solution by default) against `task`'s tests. */
export function program(suite: SampleSuite, task: SampleTask, completion = task.canonical_solution): RunProgramOptions {
  const { prompt, test } = task;
  switch (suite) {
    case 'humaneval':
      return { language: 'python', source: `${prompt}${completion}\n${test}\ncheck(${task.entry_point})\n` };
    case 'python':
    case 'cpp':
    case 'java':
      return { language: suite, source: `${prompt}${completion}\n${test}` };
    case 'js':
      // console.assert only prints: the reference passes a program iff it prints nothing.
      return { language: 'js', source: `${prompt}${completion}\n${test}`, passWhen: 'silent' };
    case 'go':
      return { language: 'go', source: `${task.test_setup ?? ''}\n${prompt}${completion}\n${test}` };
    case 'rust':
      // The declaration's `use rand::Rng; use regex::Regex; use md5;` resolve to the sandbox's stand-in crates.
      return { language: 'rust', source: `fn main(){}\n${prompt}${task.declaration ?? ''}${completion}${test}` };
  }
}

/**
 * A completion of task 0 (`has_close_elements`: are two numbers closer than the threshold?) that always
 * answers false; its tests expect true as well, so it must fail.
 */
export const WRONG_TASK0: Readonly<Record<SampleSuite, string>> = Object.freeze({
  humaneval: '    return False\n',
  python: '    return False\n',
  js: '  return false\n}\n',
  cpp: '    return false;\n}\n',
  // Go refuses an unused import, and Go/0's prompt imports math.
  go: '    return math.Abs(threshold) < 0\n}\n',
  java: '        return false;\n    }\n}\n',
  rust: '    return false;\n}\n',
});
