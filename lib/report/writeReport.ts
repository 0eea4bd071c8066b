/**
 * Reads a run folder (`metrics.jsonl`, `config.json`, `cost.json`) and writes `report.html` beside
 * them, atomically. Lines and files it cannot use are skipped and listed in the page's notes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { fsllmError } from '../errors/index.js';
import type { CostSummary, RunRecord } from './records.js';
import { atomicWrite } from '../util/atomicWrite.js';
import { renderReport } from './renderReport.js';

/** Options of `writeReport`. */
export interface WriteReportOptions {
  /** Page title; defaults to the config's `name`, else `Federated run <folder name>`. */
  title?: string;
  /** Extra remarks shown at the end of the page. */
  notes?: readonly string[];
  /** Date in the header; defaults to now. */
  date?: Date;
}

const COST_KEYS = ['trainableParameters', 'adapterMessageBytes', 'meanMsPerStep', 'peakRssBytes',
  'bytesDownPerRound', 'bytesUpPerRound', 'totalBytes', 'wallSeconds'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A record the report can draw: a known kind and a finite round. Other lines (e.g. trainer steps) are not. */
function isRunRecord(v: unknown): v is RunRecord {
  return isObject(v) && (v.kind === 'train' || v.kind === 'eval' || v.kind === 'round') && Number.isFinite(v.round);
}

function isCost(v: unknown): v is CostSummary {
  return isObject(v) && COST_KEYS.every((k) => typeof v[k] === 'number');
}

/** Reads `file` as text, or null when it does not exist. */
async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Parses the records of `metrics.jsonl`; counts lines that are not JSON or not run records. */
export function parseMetrics(text: string): { records: RunRecord[]; skipped: number } {
  const records: RunRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped++; // typically a last line cut short by a crash
      continue;
    }
    if (isRunRecord(value)) records.push(value);
    else skipped++;
  }
  return { records, skipped };
}

/** Parses an optional JSON file; a missing file gives null, a broken one null plus a note. */
async function readJson(file: string, notes: string[]): Promise<unknown> {
  const text = await readOptional(file);
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    notes.push(`${path.basename(file)} is not valid JSON (${(error as Error).message}); it was left out.`);
    return null;
  }
}

/**
 * Writes `<dir>/report.html` for the run in `dir` and returns its path. `config.json` and
 * `cost.json` are optional; unusable lines of `metrics.jsonl` are counted in the page's notes.
 * @throws `ERR_FSLLM_DATA` when `dir` has no `metrics.jsonl` (with `path` set to the file looked for).
 * @example
 * const file = await writeReport('runs/gsm8k-3clients');   // then open file in a browser
 */
export async function writeReport(dir: string, options: WriteReportOptions = {}): Promise<string> {
  const metricsFile = path.join(dir, 'metrics.jsonl');
  const text = await readOptional(metricsFile);
  if (text === null) {
    throw fsllmError('ERR_FSLLM_DATA', `No metrics.jsonl in ${dir}; writeReport needs the folder of a federated run`, { path: metricsFile });
  }
  const notes = [...(options.notes ?? [])];
  const { records, skipped } = parseMetrics(text);
  if (skipped) notes.push(`${skipped} line${skipped === 1 ? '' : 's'} of metrics.jsonl ${skipped === 1 ? 'was' : 'were'} not a train, eval or round record and left out.`);
  const config = await readJson(path.join(dir, 'config.json'), notes);
  const rawCost = await readJson(path.join(dir, 'cost.json'), notes);
  const cost = isCost(rawCost) ? rawCost : null;
  if (rawCost !== null && !cost) notes.push('cost.json does not hold a cost summary; the cost table was left out.');
  const named = isObject(config) && typeof config.name === 'string' ? config.name : undefined;
  const title = options.title ?? named ?? `Federated run ${path.basename(path.resolve(dir))}`;
  const file = path.join(dir, 'report.html');
  await atomicWrite(file, renderReport({ title, config, records, cost, notes, date: options.date }));
  return file;
}
