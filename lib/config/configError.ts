/**
 * The one config error: every problem found in a set of options, each as `<dotted.path>: <what is
 * wrong> (<how to fix>)`, gathered into a single `ERR_FSLLM_CONFIG` (or, when every problem is a
 * valid-but-unsupported feature, `ERR_FSLLM_UNSUPPORTED`).
 */
import { fsllmError, type FsllmError } from '../errors/index.js';

/** One problem in a config. `path` is dotted (`train.optimizer.lr`); empty for the whole document. */
export interface ConfigIssue {
  path: string;
  message: string;
  /** @internal true when the value is valid but names a feature we do not have yet. */
  unsupported?: boolean;
}

/** An `FsllmError` from config validation, with the problems also as data. */
export type ConfigError = FsllmError & { issues: ConfigIssue[] };

/** Renders a received value for a message: short JSON, or its String form. */
export function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || value === undefined) return String(value);
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
}

/** `a.b` + `c` → `a.b.c`, with array indices as `[i]`. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Builds the error for `issues` (which must not be empty).
 * @param what names the thing checked, e.g. `FedTrainer options` or `config file run.yaml`.
 */
export function configError(issues: ConfigIssue[], what: string, file?: string): ConfigError {
  const unsupportedOnly = issues.every((i) => i.unsupported);
  const head = unsupportedOnly
    ? `Unsupported feature${issues.length > 1 ? 's' : ''} in ${what}:`
    : `Invalid ${what} (${issues.length} problem${issues.length > 1 ? 's' : ''}):`;
  const lines = issues.map((i) => `  ${i.path === '' ? '(top level)' : i.path}: ${i.message}`);
  const err = fsllmError(unsupportedOnly ? 'ERR_FSLLM_UNSUPPORTED' : 'ERR_FSLLM_CONFIG', [head, ...lines].join('\n'),
    file === undefined ? undefined : { path: file }) as ConfigError;
  err.issues = issues.map(({ path, message }) => ({ path, message }));
  return err;
}
