/**
 * Reads a YAML (or JSON, which is YAML) file that must hold a mapping: a run config, a search space. Syntax
 * errors name file:line:column, and every problem is one config error naming the file.
 */
import { readFile } from 'node:fs/promises';

import { parseDocument } from 'yaml';

import { configError } from './configError.js';
import { isPlainObject, type PlainObject } from './objectPath.js';

/**
 * @param what names the file in errors, e.g. `config file run.yaml` (the default) or `search space space.yaml`.
 * @throws `ERR_FSLLM_CONFIG` when the file cannot be read, is not valid YAML (duplicate keys included), or
 *   does not hold a mapping.
 */
export async function readDocument(file: string, what = `config file ${file}`): Promise<PlainObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw configError([{ path: file, message: `cannot read the file (${reason})` }], what, file);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const reason = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return { path: pos ? `${file}:${pos.line}:${pos.col}` : file, message: `invalid YAML: ${reason}` };
    });
    throw configError(issues, what, file);
  }
  const value: unknown = doc.toJS();
  if (!isPlainObject(value)) {
    throw configError([{ path: '', message: `expected a mapping of options, got ${value === null ? 'an empty document' : typeof value}` }], what, file);
  }
  return value;
}
