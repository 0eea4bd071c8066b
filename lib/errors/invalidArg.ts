import { fsllmError, type FsllmError } from './FsllmError.js';

/** Renders a received value for a message: short JSON, or its String form (numbers as written: JSON would print NaN as null). */
function show(value: unknown): string {
  let shown: string;
  try {
    if (typeof value === 'number') return String(value);
    shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  return shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/**
 * The argument error in the project's one message format (as sharp's):
 * `Expected <expectation> for <name> but received <value> of type <type>`.
 */
export function invalidArg(name: string, expectation: string, value: unknown): FsllmError {
  return fsllmError('ERR_FSLLM_INVALID_ARG', `Expected ${expectation} for ${name} but received ${show(value)} of type ${typeName(value)}`);
}
