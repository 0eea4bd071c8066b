/**
 * Completions to score for the tasks whose items have no id of their own (GSM8K, Dolly): JSONL rows
 * `{index, completion}`, `index` being the item's 0-based row in the benchmark or data-set file. Other fields
 * are ignored, so the per-item file an evaluation writes can be scored again as it is.
 */
import { readFile } from 'node:fs/promises';

import { fsllmError } from '../errors/index.js';

/** One completion of item `index`. */
export interface IndexedCompletion {
  index: number;
  completion: string;
}

/**
 * The rows of `file`, in file order.
 * @param items How many items the benchmark has: every index must be below it.
 * @throws `ERR_FSLLM_DATA` naming the file and line for an unreadable file, a line that is not a JSON object,
 *   an index that is not an integer in [0, items) or appears twice, a completion that is not a string.
 */
export async function readIndexedCompletions(file: string, items: number): Promise<IndexedCompletion[]> {
  const text = await readFile(file, 'utf8').catch((cause: Error) => {
    throw fsllmError('ERR_FSLLM_DATA', `${file}: cannot read the completions file (${cause.message})`, { cause, path: file });
  });
  const seen = new Map<number, number>();
  const rows: IndexedCompletion[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const fail = (what: string) =>
      fsllmError('ERR_FSLLM_DATA', `${file} line ${i + 1}: ${what}; each line must be {"index": <item row>, "completion": "<text>"}`, { path: file });
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch {
      throw fail('not valid JSON');
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw fail('expected an object');
    const { index, completion } = row as Record<string, unknown>;
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= items) {
      throw fail(`"index" must be an integer from 0 to ${items - 1} (the benchmark has ${items} items) but is ${JSON.stringify(index)}`);
    }
    if (typeof completion !== 'string') throw fail(`"completion" must be a string but is ${completion === undefined ? 'missing' : typeof completion}`);
    const earlier = seen.get(index as number);
    if (earlier !== undefined) throw fail(`index ${String(index)} was already given on line ${earlier}`);
    seen.set(index as number, i + 1);
    rows.push({ index: index as number, completion });
  });
  return rows;
}
