import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fsllmError } from '../errors/index.js';
import type { InstructionRecord } from './instruction.js';

/** Which source fields hold the Alpaca fields (e.g. Dolly: `{ input: 'context', output: 'response' }`). */
export type KeyMap = Partial<Record<keyof InstructionRecord, string>>;

/** Options of {@link readInstructions}. */
export interface ReadInstructionsOptions {
  /**
   * Called with the location (`<file> line 7` / `<file> item 6`) of each row whose output is empty; such
   * rows are then skipped instead of failing the read. For upstream data sets known to hold a few of
   * them (Stanford Alpaca, Code Alpaca); user files keep the error.
   */
  onEmptyOutput?: (where: string) => void;
}

/**
 * Reads instruction records from a JSON array file or a JSONL file. A malformed row is an
 * `ERR_FSLLM_DATA` error naming the file, the line (JSONL) or index (JSON) and the field.
 * @throws `ERR_FSLLM_DATA` when the file is unreadable, is not valid JSON, or a row lacks a string
 *   instruction/output, has a non-string optional field or an empty output (see `onEmptyOutput`).
 */
export async function readInstructions(file: string, keys: KeyMap = {}, options: ReadInstructionsOptions = {}): Promise<InstructionRecord[]> {
  const text = await readFile(file, 'utf8').catch((cause: Error) => {
    throw fsllmError('ERR_FSLLM_DATA', `${file}: cannot read the data file (${cause.message})`, { cause, path: file });
  });
  const jsonl = path.extname(file) === '.jsonl' || !text.trimStart().startsWith('[');
  const rows: { row: unknown; where: string }[] = [];
  if (jsonl) {
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        rows.push({ row: JSON.parse(line), where: `line ${i + 1}` });
      } catch (cause) {
        throw fsllmError('ERR_FSLLM_DATA', `${file} line ${i + 1}: not valid JSON (${(cause as Error).message})`, { cause, path: file });
      }
    });
  } else {
    let all: unknown;
    try {
      all = JSON.parse(text);
    } catch (cause) {
      throw fsllmError('ERR_FSLLM_DATA', `${file}: not valid JSON (${(cause as Error).message})`, { cause, path: file });
    }
    if (!Array.isArray(all)) throw fsllmError('ERR_FSLLM_DATA', `${file}: expected a JSON array of records`, { path: file });
    all.forEach((row, i) => rows.push({ row, where: `item ${i}` }));
  }
  const records: InstructionRecord[] = [];
  for (const { row, where } of rows) {
    const record = toRecord(row, keys, `${file} ${where}`, file, options.onEmptyOutput);
    if (record !== null) records.push(record);
  }
  return records;
}

function toRecord(row: unknown, keys: KeyMap, where: string, file: string, onEmptyOutput?: (where: string) => void): InstructionRecord | null {
  const fail = (message: string) => fsllmError('ERR_FSLLM_DATA', `${where}: ${message}`, { path: file });
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw fail('expected an object');
  const get = (field: keyof InstructionRecord, required: boolean): string => {
    const key = keys[field] ?? field;
    const value = (row as Record<string, unknown>)[key];
    if (value === undefined && !required) return '';
    if (typeof value !== 'string') {
      throw fail(`field "${key}" must be a string but is ${value === undefined ? 'missing' : value === null ? 'null' : typeof value}`);
    }
    return value;
  };
  const record: InstructionRecord = { instruction: get('instruction', true), input: get('input', false), output: get('output', true) };
  if (record.output.trim() === '') {
    if (onEmptyOutput === undefined) throw fail(`field "${keys.output ?? 'output'}" is empty`);
    onEmptyOutput(where);
    return null;
  }
  const category = get('category', false);
  if (category !== '') record.category = category;
  return record;
}
