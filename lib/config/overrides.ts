/**
 * `key=value` overrides from the command line: dotted keys in either vocabulary (ours or FS-LLM's),
 * values read as YAML scalars or flow collections (`1e-3`, `true`, `[q_proj, v_proj]`).
 * An empty value or `null` removes the option, so its default applies.
 */
import { parse as parseYaml } from 'yaml';

import { show, type ConfigIssue } from './configError.js';
import { isFsllmPath, FSLLM_KEYS } from './fsllmYaml.js';
import { nearestKey } from './nearestKey.js';
import { deletePath, getPath, setPath, type PlainObject } from './objectPath.js';
import { isOptionPath, OPTION_KEYS } from './schemaKeys.js';

/** One parsed `key=value`. `value` is `null` for "remove". */
export interface Override {
  key: string;
  value: unknown;
}

const KEY = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

/** Parses `key=value` strings; malformed ones become issues. */
export function parseOverrides(list: readonly string[]): { overrides: Override[]; issues: ConfigIssue[] } {
  const overrides: Override[] = [];
  const issues: ConfigIssue[] = [];
  for (const text of list) {
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq).trim();
    if (eq < 0 || !KEY.test(key)) {
      issues.push({ path: key, message: `override ${show(text)} is not key=value (write e.g. train.optimizer.lr=1e-3)` });
      continue;
    }
    try {
      overrides.push({ key, value: parseYaml(text.slice(eq + 1)) ?? null });
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0] ?? '';
      issues.push({ path: key, message: `override value ${show(text.slice(eq + 1))} is not a YAML value (${reason}; quote strings, write lists as [a, b])` });
    }
  }
  return { overrides, issues };
}

/** @internal The issue for an override key that is neither ours nor FS-LLM's. */
export function unknownOverride(key: string): ConfigIssue {
  const near = nearestKey(key, [...OPTION_KEYS, ...FSLLM_KEYS]);
  return { path: key, message: near !== undefined ? `unknown option; did you mean ${near}?` : 'unknown option (see fsllm run --help for the list)' };
}

/** Options that exclude each other: setting one by override removes the other. */
const PARTNER: Readonly<Record<string, string>> = {
  'train.localSteps': 'train.localEpochs',
  'train.localEpochs': 'train.localSteps',
  'federate.sampleClients': 'federate.sampleRate',
  'federate.sampleRate': 'federate.sampleClients',
};

/** @internal Sets (or, for null, removes) one option of ours in `options`; clears its exclusive partner. */
export function applyOverride(options: PlainObject, key: string, value: unknown): void {
  if (value === null) {
    deletePath(options, key);
    return;
  }
  setPath(options, key, value);
  const partner = PARTNER[key];
  if (partner !== undefined) deletePath(options, partner);
}

/** @internal After merging `patch` (a translated FS-LLM override), clears partners of the options it set. */
export function clearPartners(options: PlainObject, patch: PlainObject, touched: Iterable<string>): void {
  for (const key of touched) {
    const partner = PARTNER[key];
    if (partner !== undefined && getPath(patch, key) !== undefined && getPath(patch, partner) === undefined) deletePath(options, partner);
  }
}

/** @internal Which vocabulary an override key belongs to, preferring `first` when it is valid in both. */
export function vocabularyOf(key: string, first: 'ours' | 'fsllm'): 'ours' | 'fsllm' | undefined {
  const ours = isOptionPath(key);
  const fs = isFsllmPath(key);
  if (ours && fs) return first;
  return ours ? 'ours' : fs ? 'fsllm' : undefined;
}
