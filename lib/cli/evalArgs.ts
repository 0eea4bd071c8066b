/**
 * The flags of `fsllm eval`, turned into a `TaskSpec` and the evaluation options, with every mistake
 * reported as a coded error naming the flag: a task flag given to a task it does not apply to, a model
 * flag given with --completions, a number that is not one.
 */
import { parseArgs } from 'node:util';

import { fsllmError, invalidArg } from '../errors/index.js';
import { resolveTaskSpec, type ResolvedTaskSpec } from '../eval/resolveTaskSpec.js';
import type { HumanEvalLanguage } from '../eval/programRunner.js';
import type { TaskSpec, TaskType } from '../eval/taskSpec.js';

/** What `fsllm eval` was asked to do. */
export interface EvalArgs {
  /** The spec as the flags give it (checked: `resolveTaskSpec` accepts it). */
  spec: TaskSpec;
  resolved: ResolvedTaskSpec;
  model: string | undefined;
  adapter: string | undefined;
  device: string;
  completions: string | undefined;
  dataRoot: string | undefined;
  sample: boolean;
  out: string | undefined;
  seed: number;
  /** Prompts generated together (undefined: the default). */
  batchSize: number | undefined;
  json: boolean;
  progress: boolean;
  /** Run HumanEval programs even where the sandbox cannot cut them off the network. */
  allowNetwork: boolean;
}

// Task flag → spec field, and the tasks it applies to.
const TASK_FLAGS: Readonly<Record<string, { field: string; tasks: readonly TaskType[] }>> = {
  limit: { field: 'limit', tasks: ['gsm8k', 'humaneval', 'mmlu', 'rouge'] },
  shots: { field: 'shots', tasks: ['gsm8k', 'mmlu'] },
  style: { field: 'style', tasks: ['gsm8k'] },
  samples: { field: 'samples', tasks: ['humaneval'] },
  k: { field: 'k', tasks: ['humaneval'] },
  temperature: { field: 'temperature', tasks: ['humaneval'] },
  'max-new-tokens': { field: 'maxNewTokens', tasks: ['gsm8k', 'humaneval', 'rouge'] },
};
// Flags that only mean something when a model generates.
const MODEL_FLAGS = ['model', 'adapter', 'device', 'batch-size', 'limit', 'shots', 'style', 'samples', 'temperature', 'max-new-tokens', 'seed'];
const TASKS = 'gsm8k, humaneval, humaneval-x:LANG (LANG one of cpp, go, java, js, python, rust), mmlu or rouge';

/**
 * @throws `ERR_FSLLM_INVALID_ARG` naming the flag: unknown flags, a missing or unknown --task, task flags of
 *   another task, model flags with --completions, --completions for mmlu, values out of range.
 */
export function parseEvalArgs(argv: string[]): EvalArgs {
  const { values } = parseFlags(argv);
  const given = values as Record<string, string | boolean | undefined>;
  if (values.task === undefined) throw invalidArg('--task', TASKS, undefined);
  const spec = taskSpecOf(values.task);
  for (const [flag, { field, tasks }] of Object.entries(TASK_FLAGS)) {
    const raw = given[flag];
    if (raw === undefined) continue;
    if (!tasks.includes(spec.type)) throw invalidArg(`--${flag}`, `a flag of ${tasks.join(' or ')} (not of --task ${values.task})`, raw);
    (spec as unknown as Record<string, unknown>)[field] = flag === 'k' ? String(raw).split(',').map(numberOf) : flag === 'style' ? raw : numberOf(String(raw));
  }
  if (values.completions !== undefined) {
    if (spec.type === 'mmlu') throw invalidArg('--completions', 'a generating task (MMLU scores logits; it has no completions)', values.completions);
    const stray = MODEL_FLAGS.find((flag) => given[flag] !== undefined);
    if (stray !== undefined) throw invalidArg(`--${stray}`, 'no model or generation flag with --completions (completions are scored as given)', given[stray]);
  }
  if (values['allow-network'] && spec.type !== 'humaneval') throw invalidArg('--allow-network', `a flag of humaneval and humaneval-x (not of --task ${values.task})`, true);
  const names = Object.fromEntries(Object.entries(TASK_FLAGS).map(([flag, { field }]) => [field, `--${flag}`]));
  const resolved = resolveTaskSpec(spec, { ...names, type: '--task', language: '--task' });
  const seed = values.seed === undefined ? 0 : numberOf(values.seed);
  if (!Number.isInteger(seed) || (seed as number) < 0) throw invalidArg('--seed', 'an integer ≥ 0', values.seed);
  const batchSize = values['batch-size'] === undefined ? undefined : numberOf(values['batch-size']);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || (batchSize as number) < 1)) throw invalidArg('--batch-size', 'an integer ≥ 1', values['batch-size']);
  return {
    spec,
    resolved,
    model: values.model,
    adapter: values.adapter,
    device: values.device ?? 'cpu',
    completions: values.completions,
    dataRoot: values['data-root'],
    sample: values.sample,
    out: values.out,
    seed: seed as number,
    batchSize: batchSize as number | undefined,
    json: values.json,
    progress: values.progress,
    allowNetwork: values['allow-network'],
  };
}

/** node's parseArgs, its errors (unknown flag, missing value) coded as ours. */
function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        adapter: { type: 'string' },
        device: { type: 'string' },
        task: { type: 'string' },
        ...Object.fromEntries(Object.keys(TASK_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
        seed: { type: 'string' },
        'batch-size': { type: 'string' },
        'data-root': { type: 'string' },
        sample: { type: 'boolean', default: false },
        out: { type: 'string' },
        completions: { type: 'string' },
        json: { type: 'boolean', default: false },
        progress: { type: 'boolean', default: false },
        'allow-network': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (cause) {
    throw fsllmError('ERR_FSLLM_INVALID_ARG', `${(cause as Error).message}; see fsllm eval --help`, { cause });
  }
}

/** The spec of a --task value. */
function taskSpecOf(task: string): TaskSpec {
  if (task === 'gsm8k' || task === 'mmlu' || task === 'rouge' || task === 'humaneval') return { type: task };
  const language = /^humaneval-x:(cpp|go|java|js|python|rust)$/.exec(task)?.[1];
  if (language === undefined) throw invalidArg('--task', TASKS, task);
  return { type: 'humaneval', suite: 'humaneval-x', language: language as HumanEvalLanguage };
}

/** A number for a numeric flag; anything else is kept as the string, so the range check shows what was typed. */
function numberOf(raw: string): number | string {
  return /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(raw) ? Number(raw) : raw;
}
