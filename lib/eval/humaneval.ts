/**
 * HumanEval (OpenAI, Python) and HumanEval-X (CodeGeeX: C++, Go, Java, JavaScript, Python, Rust): the task
 * files, the prompts as the reference feeds them to the model, and completion files. Cleanup of completions
 * is in humanevalCleanup.ts, program assembly in humanevalPrograms.ts, execution and pass@k in runHumanEval.ts.
 *
 * References: FS-LLM `federatedscope/llm/eval/eval_for_code/humaneval.py` and `humanevalx.py` (prompts,
 * 5 samples per task, temperature 0.1, top-k 40, top-p 0.75, 128 new tokens).
 */
import { fsllmError } from '../errors/index.js';
import type { HumanEvalLanguage } from './programRunner.js';
import { readJsonRows } from './readJsonRows.js';

/** One task of either suite, with the fields program assembly needs. */
export interface HumanEvalTask {
  /** `'humaneval'` for OpenAI's file (`HumanEval/N`), `'humaneval-x'` for CodeGeeX's (`CPP/N`, `Go/N`, ...). */
  suite: 'humaneval' | 'humaneval-x';
  language: HumanEvalLanguage;
  taskId: string;
  prompt: string;
  canonicalSolution: string;
  test: string;
  /** HumanEval: the function `check` is called with. */
  entryPoint?: string;
  /** HumanEval-X: the prompt's code without its docstring (Rust: the `use` lines and the signature). */
  declaration?: string;
  /** HumanEval-X Go: the prompt's import block, and the test file's package and imports. */
  import?: string;
  testSetup?: string;
}

const X_PREFIX: Readonly<Record<string, HumanEvalLanguage>> = {
  CPP: 'cpp',
  Go: 'go',
  Java: 'java',
  JavaScript: 'js',
  Python: 'python',
  Rust: 'rust',
};

/**
 * The language tag line CodeGeeX puts before a HumanEval-X prompt (FS-LLM's `LANGUAGE_TAG`; Rust, which
 * FS-LLM does not evaluate, as CodeGeeX2 tags it).
 */
export const HUMANEVAL_X_LANGUAGE_TAG: Readonly<Record<HumanEvalLanguage, string>> = Object.freeze({
  cpp: '// language: C++',
  python: '# language: Python',
  java: '// language: Java',
  js: '// language: JavaScript',
  go: '// language: Go',
  rust: '// language: Rust',
});

/**
 * Where generation may stop without changing any score: for Python, the cleanup cuts a completion at the
 * first of these anyway (and HumanEval-X's harness at the first unindented line, which each of them starts).
 * Other languages have none: their cleanup keeps everything up to the *last* `}`, which depends on the whole
 * 128 tokens the reference generated.
 */
export const HUMANEVAL_STOP_STRINGS: Readonly<Record<HumanEvalLanguage, readonly string[]>> = Object.freeze({
  python: Object.freeze(['\nclass', '\ndef', '\n#', '\nif', '\nprint', '\nassert']),
  cpp: Object.freeze([]),
  go: Object.freeze([]),
  java: Object.freeze([]),
  js: Object.freeze([]),
  rust: Object.freeze([]),
});

/**
 * Reads a HumanEval or HumanEval-X file (`.jsonl.gz` as shipped, or plain `.jsonl`). The suite and language
 * come from the task ids, which must all share one prefix.
 * @throws `ERR_FSLLM_DATA` for an unreadable file, a malformed row, an unknown or mixed task-id prefix.
 */
export async function readHumanEval(file: string): Promise<HumanEvalTask[]> {
  const rows = await readJsonRows(file, ['task_id', 'prompt', 'canonical_solution', 'test'], ['entry_point', 'declaration', 'import', 'test_setup']);
  const tasks = rows.map((row): HumanEvalTask => {
    const prefix = row.task_id.split('/')[0]!;
    const fail = (message: string) => fsllmError('ERR_FSLLM_DATA', `${file} line ${row.line}: ${message}`, { path: file });
    const base = { taskId: row.task_id, prompt: row.prompt, canonicalSolution: row.canonical_solution, test: row.test };
    if (prefix === 'HumanEval') {
      if (row.entry_point === undefined) throw fail('field "entry_point" must be a string but is missing');
      return { suite: 'humaneval', language: 'python', ...base, entryPoint: row.entry_point };
    }
    const language = X_PREFIX[prefix];
    if (language === undefined) {
      throw fail(`task_id "${row.task_id}" is neither HumanEval/N nor HumanEval-X (${Object.keys(X_PREFIX).join(', ')})/N`);
    }
    if (row.declaration === undefined) throw fail('field "declaration" must be a string but is missing');
    const go = language === 'go' ? { import: row.import ?? '', testSetup: row.test_setup ?? '' } : {};
    return { suite: 'humaneval-x', language, ...base, declaration: row.declaration, ...go };
  });
  const kinds = new Set(tasks.map((t) => `${t.suite}:${t.language}`));
  if (kinds.size > 1) throw fsllmError('ERR_FSLLM_DATA', `${file}: mixes tasks of ${[...kinds].join(' and ')}`, { path: file });
  return tasks;
}

/**
 * What the model reads for `task`. HumanEval: the raw prompt (no template). HumanEval-X: the language tag
 * line, then the prompt; for Rust the prompt is only a doc comment, so the declaration (the `use` lines and
 * the signature) follows it, as CodeGeeX2's Rust prompts have it.
 */
export function humanEvalPrompt(task: HumanEvalTask): string {
  if (task.suite === 'humaneval') return task.prompt;
  const body = task.language === 'rust' ? task.prompt + (task.declaration ?? '') : task.prompt;
  return `${HUMANEVAL_X_LANGUAGE_TAG[task.language]}\n${body}`;
}

/** One sample to score: human-eval's `{task_id, completion}` row. */
export interface HumanEvalSample {
  task_id: string;
  completion: string;
}

/**
 * Reads completions to score: JSONL rows `{task_id, completion}` (human-eval's sample files) or
 * `{task_id, generation}` (CodeGeeX's and FS-LLM's HumanEval-X answer files). Several rows of one task are
 * several samples. The completions are taken as written (no cleanup), as human-eval does.
 * @throws `ERR_FSLLM_DATA` for an unreadable file, a malformed row, or a row with neither field.
 */
export async function readCompletions(file: string): Promise<HumanEvalSample[]> {
  const rows = await readJsonRows(file, ['task_id'], ['completion', 'generation']);
  return rows.map((row) => {
    const completion = row.completion ?? row.generation;
    if (completion === undefined) {
      throw fsllmError('ERR_FSLLM_DATA', `${file} line ${row.line}: needs a string field "completion" (or "generation")`, { path: file });
    }
    return { task_id: row.task_id, completion };
  });
}
