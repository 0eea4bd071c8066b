/**
 * Reading a search space: a mapping of dotted run options to a list of choices or a numeric range. Both our
 * spelling (`{ low, high, log, type: float | int, grid }`) and FS-LLM's ConfigSpace YAML (`{ type: float | int |
 * cate, lower, upper, log, choices }`) are read, so an FS-LLM `hpo.ss` file is a space as it is.
 */
import { configError, show, type ConfigIssue } from '../config/configError.js';
import { isPlainObject } from '../config/objectPath.js';
import { unknownOverride, vocabularyOf } from '../config/overrides.js';
import type { ChoiceDimension, RangeDimension, SearchDimension, SearchSpace } from './types.js';

const KEY = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;
/** Fields a dimension may have (FS-LLM's `default_value` is read and has no effect: every value is drawn). */
const FIELDS = ['choices', 'low', 'high', 'lower', 'upper', 'log', 'type', 'grid', 'default_value'];

/** Options a search may not vary: where the trials write is the search's, not the space's. */
function reservedReason(key: string): string | undefined {
  if (key === 'output' || key.startsWith('output.') || key === 'outdir' || key === 'expname') {
    return 'is set by the search for each trial (trials/<id>); remove it from the space';
  }
  if (key === 'federate.mode') return 'cannot be searched (trials are standalone runs)';
  return undefined;
}

function numberField(spec: Record<string, unknown>, ours: string, theirs: string): unknown {
  return spec[ours] !== undefined ? spec[ours] : spec[theirs];
}

function parseRange(key: string, spec: Record<string, unknown>, issues: ConfigIssue[]): RangeDimension | undefined {
  const low = numberField(spec, 'low', 'lower');
  const high = numberField(spec, 'high', 'upper');
  const type = spec.type ?? 'float';
  const log = spec.log ?? false;
  const before = issues.length;
  if (typeof low !== 'number' || !Number.isFinite(low)) issues.push({ path: `${key}.low`, message: `expected a number, got ${show(low)} (set low (or lower) and high (or upper), e.g. { low: 1e-4, high: 1e-1, log: true })` });
  if (typeof high !== 'number' || !Number.isFinite(high)) issues.push({ path: `${key}.high`, message: `expected a number, got ${show(high)} (set high (or upper) above low)` });
  if (type !== 'float' && type !== 'int') issues.push({ path: `${key}.type`, message: `expected "float" or "int" for a range, got ${show(type)} (use type: cate with choices for a list)` });
  if (typeof log !== 'boolean') issues.push({ path: `${key}.log`, message: `expected true or false, got ${show(log)}` });
  if (issues.length > before) return undefined;
  const lo = low as number;
  const hi = high as number;
  if (!(hi > lo)) issues.push({ path: key, message: `high ${hi} must be above low ${lo} (swap them, or use a list of one value)` });
  if (log && lo <= 0) issues.push({ path: `${key}.low`, message: `a log-scale range needs low > 0, got ${lo} (raise low or set log: false)` });
  if (type === 'int' && (!Number.isInteger(lo) || !Number.isInteger(hi))) issues.push({ path: key, message: `an int range needs integer ends, got [${lo}, ${hi}]` });
  const grid = spec.grid;
  if (grid !== undefined && (typeof grid !== 'number' || !Number.isInteger(grid) || grid < 2)) {
    issues.push({ path: `${key}.grid`, message: `expected an integer ≥ 2 (grid points, ends included), got ${show(grid)}` });
  }
  if (issues.length > before) return undefined;
  return { key, low: lo, high: hi, log: log as boolean, type: type as 'float' | 'int', ...(grid !== undefined ? { grid: grid as number } : {}) };
}

function parseChoices(key: string, choices: unknown, issues: ConfigIssue[]): ChoiceDimension | undefined {
  if (!Array.isArray(choices) || choices.length === 0) {
    issues.push({ path: key, message: `expected a non-empty list of choices, got ${show(choices)} (e.g. [4, 8, 16])` });
    return undefined;
  }
  const seen = new Set(choices.map((c) => JSON.stringify(c)));
  if (seen.size < choices.length) issues.push({ path: key, message: `lists a value twice: ${show(choices)} (each choice once)` });
  return { key, choices: [...choices] };
}

/** One dimension, or undefined after pushing what is wrong with it. */
function parseDimension(key: string, spec: unknown, issues: ConfigIssue[]): SearchDimension | undefined {
  if (Array.isArray(spec)) return parseChoices(key, spec, issues);
  if (!isPlainObject(spec)) {
    issues.push({ path: key, message: `expected a list of choices or a range { low, high }, got ${show(spec)} (e.g. [1e-3, 1e-2] or { low: 1e-4, high: 1e-1, log: true })` });
    return undefined;
  }
  const unknown = Object.keys(spec).filter((f) => !FIELDS.includes(f));
  if (unknown.length > 0) {
    issues.push({ path: `${key}.${unknown[0]}`, message: `unknown field (a dimension has choices, or low/high (lower/upper), log, type and grid)` });
    return undefined;
  }
  if (spec.type === 'cate' || spec.choices !== undefined) {
    if (spec.type !== undefined && spec.type !== 'cate') issues.push({ path: `${key}.type`, message: `choices go with type: cate (or no type), got ${show(spec.type)}` });
    return parseChoices(key, spec.choices, issues);
  }
  return parseRange(key, spec, issues);
}

/**
 * Reads the dimensions of `doc` (key → spec), checking each key names a run option in our vocabulary or
 * FS-LLM's and may be varied.
 * @param what names the source in the error, e.g. `search space space.yaml`.
 * @throws `ERR_FSLLM_CONFIG` listing every problem as `<key>: <what is wrong> (<fix>)`.
 * @example
 * parseSearchSpace({ 'train.optimizer.lr': { low: 1e-4, high: 1e-1, log: true }, 'adapter.r': [4, 8] }, 'space');
 */
export function parseSearchSpace(doc: unknown, what: string): SearchSpace {
  if (!isPlainObject(doc) || Object.keys(doc).length === 0) {
    throw configError([{ path: '', message: `expected a mapping of run options to choices or ranges, got ${show(doc)} (e.g. train.optimizer.lr: [1e-3, 1e-2])` }], what);
  }
  const issues: ConfigIssue[] = [];
  const space: SearchDimension[] = [];
  for (const [key, spec] of Object.entries(doc)) {
    if (key.startsWith('condition')) {
      issues.push({ path: key, message: 'conditional dimensions (FS-LLM ConfigSpace conditions) are not available; remove it', unsupported: true });
      continue;
    }
    const reserved = reservedReason(key);
    if (!KEY.test(key)) issues.push({ path: key, message: 'expected a dotted run option such as train.optimizer.lr' });
    else if (reserved) issues.push({ path: key, message: reserved });
    else if (vocabularyOf(key, 'ours') === undefined) issues.push(unknownOverride(key));
    else {
      const dimension = parseDimension(key, spec, issues);
      if (dimension) space.push(dimension);
    }
  }
  if (issues.length > 0) throw configError(issues, what);
  return space;
}

/** True for a dimension with a fixed list of values. */
export function isChoice(d: SearchDimension): d is ChoiceDimension {
  return 'choices' in d;
}
