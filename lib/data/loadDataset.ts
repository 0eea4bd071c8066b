import { access } from 'node:fs/promises';
import path from 'node:path';
import { fsllmError, invalidArg } from '../errors/index.js';
import { BUILTIN_DATASETS, isBuiltinDataset, rootCandidates, type BuiltinDatasetType } from './builtins.js';
import { codeLanguage } from './codeLanguage.js';
import { defaultDatasetCacheDir, downloadFile, mirrored } from './download.js';
import type { InstructionRecord } from './instruction.js';
import { readInstructions, type KeyMap } from './readInstructions.js';

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions {
  /** A built-in data set, or `'file'` to read {@link LoadDatasetOptions.file}. */
  type: BuiltinDatasetType | 'file';
  /** The `.json` (array) or `.jsonl` file to read; required for `type: 'file'`. A relative path is
   *  looked up in `root` first (FS-LLM's `data.root/X.json`), then in the working directory. */
  file?: string;
  /** Source field → record field, e.g. `{ output: 'response', category: 'label' }`. For built-ins it
   *  overrides single entries of the built-in map. */
  keys?: KeyMap;
  /** A data root (config `data.root`) laid out like shared/datasets; searched before the cache. */
  root?: string;
  /** Where downloads are cached; default {@link defaultDatasetCacheDir}. */
  cacheDir?: string;
  /** Whether a missing data set may be downloaded (default true). */
  download?: boolean;
  /** Base URL of a raw.githubusercontent.com mirror; default `$FSLLM_DATA_MIRROR`, else upstream. */
  mirror?: string;
}

/** What {@link loadDataset} read. */
export interface LoadDatasetResult {
  records: InstructionRecord[];
  /** The file the records came from. */
  source: string;
  /** Locations of upstream rows skipped for an empty output (built-ins only; user files fail instead). */
  skipped: string[];
}

/**
 * Loads a data set as Alpaca-form records, mapping fields as FS-LLM does (reference §2.1): Dolly
 * (input ← context, output ← response, category ← category); GSM8K (instruction ← question, output ←
 * answer with every `####` replaced by `The answer is`); Alpaca and Alpaca-cleaned as they are; Code
 * Alpaca with `category` = the programming language guessed by {@link codeLanguage}.
 *
 * A built-in is looked up in `root` first (see {@link rootCandidates}), then in `cacheDir`, and
 * otherwise downloaded from its pinned URL into `cacheDir`.
 * @throws `ERR_FSLLM_INVALID_ARG` (synchronously) for a bad type, or `type: 'file'` without `file`.
 * @throws `ERR_FSLLM_DATA` (rejects) when the data set is missing and may not be downloaded (listing the paths
 *   tried), the download fails (naming the URL), or a row is malformed (naming file, line and field).
 * @example
 * const { records } = await loadDataset({ type: 'dolly-15k', root: '/data' });
 */
export function loadDataset(options: LoadDatasetOptions): Promise<LoadDatasetResult> {
  // Validate
  if (options === null || typeof options !== 'object') throw invalidArg('options', 'an object', options);
  const { type } = options;
  for (const name of ['root', 'cacheDir', 'mirror'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'string') throw invalidArg(name, 'a string', value);
  }
  if (type === 'file') {
    if (typeof options.file !== 'string' || options.file === '') {
      throw invalidArg('file', "a .json or .jsonl path when type is 'file'", options.file);
    }
    return readUserFile(options.file, options);
  }
  if (!isBuiltinDataset(type)) {
    throw invalidArg('type', `one of 'file', ${Object.keys(BUILTIN_DATASETS).map((t) => `'${t}'`).join(', ')}`, type);
  }
  return readBuiltin(type, options);
}

async function readUserFile(file: string, options: LoadDatasetOptions): Promise<LoadDatasetResult> {
  const source = await userFile(file, options.root);
  return { records: await readInstructions(source, options.keys), source, skipped: [] };
}

async function readBuiltin(type: BuiltinDatasetType, options: LoadDatasetOptions): Promise<LoadDatasetResult> {
  const spec = BUILTIN_DATASETS[type];
  const source = await locate(type, options);
  const skipped: string[] = [];
  const onEmptyOutput = spec.skipEmptyOutput === true ? (where: string) => skipped.push(where) : undefined;
  let records = await readInstructions(source, { ...spec.keys, ...options.keys }, { onEmptyOutput });
  if (spec.postProcess !== undefined) records = records.map(spec.postProcess);
  if (type === 'codealpaca') records = records.map((r) => (r.category !== undefined ? r : { ...r, category: codeLanguage(r) }));
  return { records, source, skipped };
}

/** The local file of a built-in, downloading it when allowed. */
async function locate(type: BuiltinDatasetType, options: LoadDatasetOptions): Promise<string> {
  const spec = BUILTIN_DATASETS[type];
  const cacheDir = options.cacheDir ?? defaultDatasetCacheDir();
  const cached = path.join(cacheDir, spec.cachePath);
  const tried = options.root !== undefined ? await rootCandidates(type, options.root) : [];
  tried.push(cached);
  for (const file of tried) {
    if (await exists(file)) return file;
  }
  const url = mirrored(spec.url, options.mirror ?? process.env['FSLLM_DATA_MIRROR']);
  const rootHint = `pass root (config data.root) pointing at a folder that holds ${spec.rootPaths[0]}`;
  if (options.download === false) {
    throw fsllmError(
      'ERR_FSLLM_DATA',
      `Data set '${type}' not found and download is off; tried:\n  ${tried.join('\n  ')}\n` +
        `${rootHint}, or allow the download from ${url}`,
      { path: cached },
    );
  }
  await downloadFile(url, cached, rootHint);
  return cached;
}

/** `file`, or `root/file` when `file` is relative and exists there. */
async function userFile(file: string, root: string | undefined): Promise<string> {
  if (root === undefined || path.isAbsolute(file)) return file;
  const inRoot = path.join(root, file);
  return (await exists(inRoot)) ? inRoot : file;
}

function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}
