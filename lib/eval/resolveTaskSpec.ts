/**
 * A {@link TaskSpec} checked and with every default filled in, and the task's name. Both `evaluateTask` and
 * `scoreCompletions` start here, so a spec means the same to both; the command line passes its flag names so
 * that an error names the flag the user typed.
 */
import { invalidArg } from '../errors/index.js';
import { GSM8K_EXEMPLARS } from './gsm8kExemplars.js';
import type { HumanEvalLanguage } from './programRunner.js';
import type { TaskSpec } from './taskSpec.js';

/** GSM8K with defaults: FS-LLM's 8-shot chain of thought, 256 new tokens, greedy. */
export interface ResolvedGsm8k {
  type: 'gsm8k';
  style: 'cot' | 'alpaca';
  shots: number;
  limit: number | null;
  maxNewTokens: number;
}

/** HumanEval with the reference's sampling: 5 samples, temperature 0.1, top-k 40, top-p 0.75, 128 new tokens. */
export interface ResolvedHumanEval {
  type: 'humaneval';
  suite: 'humaneval' | 'humaneval-x';
  language: HumanEvalLanguage;
  samples: number;
  k: number[];
  limit: number | null;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
}

/** MMLU with defaults: 5 shots. */
export interface ResolvedMmlu {
  type: 'mmlu';
  shots: number;
  limit: number | null;
}

/** ROUGE-L with defaults: 128 new tokens, greedy. */
export interface ResolvedRouge {
  type: 'rouge';
  limit: number | null;
  maxNewTokens: number;
}

export type ResolvedTaskSpec = ResolvedGsm8k | ResolvedHumanEval | ResolvedMmlu | ResolvedRouge;

/** How each spec field is called in error messages (e.g. `{ shots: '--shots' }`); default `spec.<field>`. */
export type SpecFieldNames = Partial<Record<string, string>>;

const LANGUAGES: readonly HumanEvalLanguage[] = ['python', 'cpp', 'go', 'java', 'js', 'rust'];
const FIELDS: Readonly<Record<TaskSpec['type'], readonly string[]>> = {
  gsm8k: ['type', 'style', 'shots', 'limit', 'maxNewTokens'],
  humaneval: ['type', 'suite', 'language', 'samples', 'k', 'limit', 'maxNewTokens', 'temperature'],
  mmlu: ['type', 'shots', 'limit'],
  rouge: ['type', 'limit', 'maxNewTokens'],
};

/**
 * `spec` with its defaults (see each `Resolved*` type).
 * @throws `ERR_FSLLM_INVALID_ARG` naming the field (as `names` calls it) for an unknown type or field, or a
 *   value out of range.
 */
export function resolveTaskSpec(spec: TaskSpec, names: SpecFieldNames = {}): ResolvedTaskSpec {
  const name = (field: string) => names[field] ?? `spec.${field}`;
  if (spec === null || typeof spec !== 'object') throw invalidArg('spec', 'a task object such as { type: "gsm8k" }', spec);
  const fields = FIELDS[spec.type];
  if (fields === undefined) throw invalidArg(name('type'), "'gsm8k', 'humaneval', 'mmlu' or 'rouge'", spec.type);
  const unknown = Object.keys(spec).filter((key) => !fields.includes(key));
  if (unknown.length > 0) throw invalidArg(`${name('type')} ${spec.type}`, `only the fields ${fields.join(', ')}`, unknown);
  const int = (field: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      throw invalidArg(name(field), max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`, value);
    }
    return value as number;
  };
  const limit = spec.limit === undefined ? null : int('limit', spec.limit, 0, 1);
  switch (spec.type) {
    case 'gsm8k': {
      const style = spec.style ?? 'cot';
      if (style !== 'cot' && style !== 'alpaca') throw invalidArg(name('style'), "'cot' or 'alpaca'", style);
      const shots = int('shots', spec.shots, style === 'cot' ? GSM8K_EXEMPLARS.length : 0, 0, GSM8K_EXEMPLARS.length);
      return { type: 'gsm8k', style, shots, limit, maxNewTokens: int('maxNewTokens', spec.maxNewTokens, 256, 1) };
    }
    case 'humaneval':
      return resolveHumanEval(spec, limit, name, int);
    case 'mmlu':
      return { type: 'mmlu', shots: int('shots', spec.shots, 5, 0), limit };
    case 'rouge':
      return { type: 'rouge', limit, maxNewTokens: int('maxNewTokens', spec.maxNewTokens, 128, 1) };
  }
}

function resolveHumanEval(
  spec: Extract<TaskSpec, { type: 'humaneval' }>,
  limit: number | null,
  name: (field: string) => string,
  int: (field: string, value: unknown, fallback: number, min: number) => number,
): ResolvedHumanEval {
  const language = spec.language ?? 'python';
  if (!LANGUAGES.includes(language)) throw invalidArg(name('language'), LANGUAGES.map((l) => `'${l}'`).join(', '), language);
  const suite = spec.suite ?? 'humaneval';
  if (suite !== 'humaneval' && suite !== 'humaneval-x') throw invalidArg(name('suite'), "'humaneval' or 'humaneval-x'", suite);
  if (suite === 'humaneval' && language !== 'python') throw invalidArg(name('language'), "'python' for suite 'humaneval' (other languages are 'humaneval-x')", language);
  const samples = int('samples', spec.samples, 5, 1);
  const k = spec.k ?? [1];
  if (!Array.isArray(k) || k.length === 0 || !k.every((v) => Number.isInteger(v) && v >= 1 && v <= samples)) {
    throw invalidArg(name('k'), `a non-empty list of integers from 1 to ${samples} (the samples)`, k);
  }
  const temperature = spec.temperature ?? 0.1;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) throw invalidArg(name('temperature'), 'a number ≥ 0', temperature);
  return { type: 'humaneval', suite, language, samples, k: [...k], limit, maxNewTokens: int('maxNewTokens', spec.maxNewTokens, 128, 1), temperature, topK: 40, topP: 0.75 };
}
