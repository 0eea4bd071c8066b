/**
 * Reads the benchmark files of lib/eval: JSON Lines, gzip-compressed or not (HumanEval ships `.jsonl.gz`,
 * GSM8K and MMLU plain `.jsonl`), into objects whose named fields are strings. Every failure is an
 * `ERR_FSLLM_DATA` error naming the file, the line and the field.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

import { fsllmError } from '../errors/index.js';

/** One parsed row: the required string fields, plus `line` (1-based) for messages. */
export type JsonRow<K extends string> = Record<K, string> & { line: number };

/**
 * The rows of `file`, each checked to hold every field of `required` as a string. Blank lines are skipped.
 * Gzip is recognised by its magic bytes, not by the file name.
 * @param optional Fields kept when present (must then be strings too); absent ones are left out.
 * @throws `ERR_FSLLM_DATA` when the file is unreadable, not valid gzip, a line is not a JSON object or a
 *   field is missing or not a string.
 */
export async function readJsonRows<K extends string, O extends string = never>(
  file: string,
  required: readonly K[],
  optional: readonly O[] = [],
): Promise<(JsonRow<K> & Partial<Record<O, string>>)[]> {
  const bytes = await readFile(file).catch((cause: Error) => {
    throw fsllmError('ERR_FSLLM_DATA', `${file}: cannot read the data file (${cause.message})`, { cause, path: file });
  });
  let text: string;
  try {
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (cause) {
    throw fsllmError('ERR_FSLLM_DATA', `${file}: not valid gzip (${(cause as Error).message})`, { cause, path: file });
  }
  const rows: (JsonRow<K> & Partial<Record<O, string>>)[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const where = `${file} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw fsllmError('ERR_FSLLM_DATA', `${where}: not valid JSON (${(cause as Error).message})`, { cause, path: file });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw fsllmError('ERR_FSLLM_DATA', `${where}: expected an object`, { path: file });
    }
    const object = value as Record<string, unknown>;
    const row: Record<string, unknown> = { line: i + 1 };
    for (const key of [...required, ...optional]) {
      const field = object[key];
      if (field === undefined && (optional as readonly string[]).includes(key)) continue;
      if (typeof field !== 'string') {
        const got = field === undefined ? 'missing' : field === null ? 'null' : typeof field;
        throw fsllmError('ERR_FSLLM_DATA', `${where}: field "${key}" must be a string but is ${got}`, { path: file });
      }
      row[key] = field;
    }
    rows.push(row as JsonRow<K> & Partial<Record<O, string>>);
  });
  return rows;
}
