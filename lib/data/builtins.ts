import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InstructionRecord } from './instruction.js';
import type { KeyMap } from './readInstructions.js';

/** The data sets FS-LLM ships loaders for that we support by name (reference §2.1). */
export type BuiltinDatasetType = 'dolly-15k' | 'gsm8k' | 'codealpaca' | 'alpaca' | 'alpaca-cleaned';

/** Where a built-in data set comes from and how its fields map to {@link InstructionRecord}. */
export interface BuiltinDataset {
  /** Upstream file at a pinned commit (raw.githubusercontent.com), so every download is the same bytes. */
  url: string;
  /** Where the downloaded file goes, relative to the cache folder (the same layout as a data root). */
  cachePath: string;
  /** Files tried in a data root, in order (the layout of shared/datasets, then the flat file name). */
  rootPaths: readonly string[];
  /** A folder of the data root whose other `.json` files are a last resort (largest first). */
  fallbackFolder?: string;
  /** Source field → record field. */
  keys: KeyMap;
  /** Rewrites each record after reading (field post-processing as FS-LLM does it). */
  postProcess?: (record: InstructionRecord) => InstructionRecord;
  /** Whether upstream is known to hold a few rows with an empty output, which are skipped. */
  skipEmptyOutput?: boolean;
}

const RAW = 'https://raw.githubusercontent.com';

/**
 * The built-in data sets. URLs are FS-LLM's pinned ones; Code Alpaca, which FS-LLM only loads as
 * `rosetta_alpaca`, is `code_alpaca_20k.json` at sahil280114/codealpaca HEAD 2f78ddc (2023-05-12, as
 * shared/datasets/codealpaca/SOURCE.md records). A local `new_codealpaca.json` is preferred to it.
 */
export const BUILTIN_DATASETS: Readonly<Record<BuiltinDatasetType, BuiltinDataset>> = {
  'dolly-15k': {
    url: `${RAW}/databrickslabs/dolly/d000e3030970379aabbf6d291f50ffdd3b715b64/data/databricks-dolly-15k.jsonl`,
    cachePath: 'dolly-15k/databricks-dolly-15k.jsonl',
    rootPaths: ['dolly-15k/databricks-dolly-15k.jsonl', 'databricks-dolly-15k.jsonl'],
    keys: { input: 'context', output: 'response', category: 'category' },
  },
  gsm8k: {
    url: `${RAW}/openai/grade-school-math/3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/train.jsonl`,
    cachePath: 'gsm8k/train.jsonl',
    rootPaths: ['gsm8k/train.jsonl', 'gsm8k_train.jsonl'],
    keys: { instruction: 'question', output: 'answer' },
    // FS-LLM: output.replace('####', 'The answer is'); Python's replace is every occurrence.
    postProcess: (r) => ({ ...r, output: r.output.replaceAll('####', 'The answer is') }),
  },
  codealpaca: {
    url: `${RAW}/sahil280114/codealpaca/2f78ddc5c682ed6738ad092bbbfa59ba915afcb0/data/code_alpaca_20k.json`,
    cachePath: 'codealpaca/code_alpaca_20k.json',
    rootPaths: ['codealpaca/new_codealpaca.json', 'codealpaca/code_alpaca_20k.json', 'new_codealpaca.json', 'code_alpaca_20k.json'],
    keys: {},
    skipEmptyOutput: true,
  },
  alpaca: {
    url: `${RAW}/tatsu-lab/stanford_alpaca/761dc5bfbdeeffa89b8bff5d038781a4055f796a/alpaca_data.json`,
    cachePath: 'alpaca/alpaca_data.json',
    rootPaths: ['alpaca/alpaca_data.json', 'alpaca_data.json'],
    fallbackFolder: 'alpaca',
    keys: {},
    skipEmptyOutput: true,
  },
  'alpaca-cleaned': {
    url: `${RAW}/gururise/AlpacaDataCleaned/a7d629079a95c2e4b7ec7dfe55087fbd18d9eba8/alpaca_data_cleaned.json`,
    cachePath: 'alpaca-cleaned/alpaca_data_cleaned.json',
    rootPaths: ['alpaca-cleaned/alpaca_data_cleaned.json', 'alpaca/alpaca_data_cleaned.json', 'alpaca_data_cleaned.json'],
    keys: {},
    skipEmptyOutput: true,
  },
};

/** Whether `type` names a built-in data set. */
export function isBuiltinDataset(type: unknown): type is BuiltinDatasetType {
  return typeof type === 'string' && Object.hasOwn(BUILTIN_DATASETS, type);
}

/**
 * The files to try for `type` under the data root `root`, in order: {@link BuiltinDataset.rootPaths},
 * then the other `.json` files of the fallback folder, largest first (for alpaca, the partial subsets
 * shared/datasets holds in place of the 22 MB original; the cleaned set is never taken for it).
 */
export async function rootCandidates(type: BuiltinDatasetType, root: string): Promise<string[]> {
  const spec = BUILTIN_DATASETS[type];
  const files = spec.rootPaths.map((p) => path.join(root, p));
  if (spec.fallbackFolder === undefined) return files;
  const folder = path.join(root, spec.fallbackFolder);
  const names = await readdir(folder).catch(() => [] as string[]);
  const extra = names
    .filter((n) => n.endsWith('.json') && !n.includes('cleaned'))
    .map((n) => path.join(folder, n))
    .filter((f) => !files.includes(f));
  const sizes = await Promise.all(extra.map((f) => stat(f).then((s) => s.size, () => -1)));
  const bySize = extra.map((f, i) => ({ f, size: sizes[i]! })).filter((e) => e.size >= 0);
  bySize.sort((a, b) => b.size - a.size || a.f.localeCompare(b.f));
  return [...files, ...bySize.map((e) => e.f)];
}
