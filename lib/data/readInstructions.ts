import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fsllmError } from '../errors/index.js';
import type { InstructionRecord } from './instruction.js';

/** Which source fields hold the Alpaca fields (e.g. Dolly: `{ input: 'context', output: 'response' }`). */
export type KeyMap = Partial<Record<keyof InstructionRecord, string>>;

/**
 * Reads instruction records from a JSON array file or a JSONL file. A malformed row is an
 * `ERR_FSLLM_DATA` error naming the file, the line (JSONL) or index (JSON) and the field.
 */
export async function readInstructions(file: string, keys: KeyMap = {}): Promise<InstructionRecord[]> {
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
    const all = JSON.parse(text) as unknown[];
    all.forEach((row, i) => rows.push({ row, where: `item ${i}` }));
  }
  return rows.map(({ row, where }) => toRecord(row, keys, `${file} ${where}`));
}

function toRecord(row: unknown, keys: KeyMap, where: string): InstructionRecord {
  if (row === null || typeof row !== 'object') throw fsllmError('ERR_FSLLM_DATA', `${where}: expected an object`);
  const get = (field: keyof InstructionRecord, required: boolean): string => {
    const key = keys[field] ?? field;
    const value = (row as Record<string, unknown>)[key];
    if (value === undefined && !required) return '';
    if (typeof value !== 'string') {
      throw fsllmError('ERR_FSLLM_DATA', `${where}: field "${key}" must be a string but is ${value === undefined ? 'missing' : typeof value}`);
    }
    return value;
  };
  const record: InstructionRecord = { instruction: get('instruction', true), input: get('input', false), output: get('output', true) };
  if (record.output.trim() === '') throw fsllmError('ERR_FSLLM_DATA', `${where}: field "${keys.output ?? 'output'}" is empty`);
  const category = get('category', false);
  if (category !== '') record.category = category;
  return record;
}
