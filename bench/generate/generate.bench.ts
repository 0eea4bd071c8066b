/**
 * `npm run bench -- generate`: greedy batched generation on SmolLM2-135M-Instruct (the lora-step bench's
 * model), fsllm-native's Model.generate vs HF transformers' model.generate (bench/python/hf_generate.py), same
 * machine, same token ids, same batches, same threads, run one after another. The prompts are the first GSM8K
 * test questions in our zero-shot prompt, tokenized once by our side. Ends with one JSON line: the ratio of
 * generated tokens per second, both sides' prefill and decode rates, and whether the greedy ids are identical.
 *   options: --prompts N (32) --batch B (16) --max-new-tokens T (128) --threads T (cores) --runs R (1)
 *            --model DIR --data-root DIR --python PY --skip-anchor
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { defaultPython, runJsonChild } from '../children.ts';
import { dataRoot } from '../sharedData.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

/** Rows whose ids are identical, and the first row that differs (with where), for the report. */
function compareIds(ours: number[][], hf: number[][]): { matching: number; firstMismatch: { row: number; at: number; ours: number; hf: number } | null } {
  let matching = 0;
  let firstMismatch = null;
  for (let row = 0; row < ours.length; row++) {
    const a = ours[row]!;
    const b = hf[row] ?? [];
    if (a.length === b.length && a.every((id, i) => id === b[i])) {
      matching += 1;
      continue;
    }
    const at = a.findIndex((id, i) => id !== b[i]);
    const i = at < 0 ? a.length : at;
    firstMismatch ??= { row, at: i, ours: a[i] ?? -1, hf: b[i] ?? -1 };
  }
  return { matching, firstMismatch };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      prompts: { type: 'string', default: '32' },
      batch: { type: 'string', default: '16' },
      'max-new-tokens': { type: 'string', default: '128' },
      threads: { type: 'string', default: String(os.availableParallelism()) },
      runs: { type: 'string', default: '1' },
      model: { type: 'string', default: process.env.FSLLM_BENCH_MODEL_DIR ?? path.join(os.homedir(), '.cache', 'fsllm-native', 'models', 'smollm2-135m') },
      'data-root': { type: 'string' },
      python: { type: 'string' },
      'skip-anchor': { type: 'boolean', default: false },
    },
  });
  const numbers = { prompts: Number(values.prompts), batch: Number(values.batch), maxNewTokens: Number(values['max-new-tokens']), threads: Number(values.threads), runs: Number(values.runs) };
  for (const [name, n] of Object.entries(numbers)) if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected an integer >= 1, got ${n}`);
  if (!existsSync(path.join(values.model, 'tokenizer.json'))) throw new Error(`no model with a tokenizer at ${values.model}: run \`node bench/fetch-model.mjs\` first`);
  const data = dataRoot(values['data-root'], 'gsm8k/test.jsonl');
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-bench-generate-'));
  // OpenBLAS keeps its own thread pool: pin it too so both sides use exactly `threads` cores.
  const threads = String(numbers.threads);
  const env = { ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads, FSLLM_NUM_THREADS: threads };
  try {
    const ours = runJsonChild('generate', process.execPath, ['--import', 'tsx', path.join(here, 'ourGenerate.ts'), JSON.stringify({ ...numbers, model: values.model, dataRoot: data, workDir })], 'fsllm-native', env);
    const python = values.python ?? defaultPython();
    if (!python && !values['skip-anchor']) console.error('generate: no anchor venv (run bench/setup); ratio omitted');
    const hf = values['skip-anchor'] || !python ? null : runJsonChild('generate', python, [
      path.join(root, 'bench', 'python', 'hf_generate.py'), '--model', values.model, '--prompts', path.join(workDir, 'prompts.json'),
      '--ids-out', path.join(workDir, 'hf-ids.json'), '--batch', values.batch, '--max-new-tokens', values['max-new-tokens'], '--threads', threads, '--runs', values.runs,
    ], 'HF transformers', env);

    const oursIds = JSON.parse(readFileSync(path.join(workDir, 'ours-ids.json'), 'utf8')) as number[][];
    const cmp = hf ? compareIds(oursIds, JSON.parse(readFileSync(path.join(workDir, 'hf-ids.json'), 'utf8')) as number[][]) : null;
    const num = (o: Record<string, unknown> | null, k: string) => (o ? Number(o[k]) : NaN);
    const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null);
    const rates = (o: Record<string, unknown> | null) =>
      o && { genTokensPerSec: num(o, 'genTokensPerSec'), prefillTokensPerSec: num(o, 'prefillTokensPerSec'), decodeTokensPerSec: num(o, 'decodeTokensPerSec'), seconds: num(o, 'seconds'), genTokens: num(o, 'genTokens') };
    console.log(JSON.stringify({
      name: 'generate',
      model: values.model,
      workload: `first ${numbers.prompts} GSM8K test questions, zero-shot Alpaca prompt; batch ${numbers.batch}, ${numbers.maxNewTokens} new tokens, greedy`,
      threads: numbers.threads,
      runs: numbers.runs,
      genTokensPerSecRatio: ratio(num(ours, 'genTokensPerSec'), num(hf, 'genTokensPerSec')),
      prefillRatio: ratio(num(ours, 'prefillTokensPerSec'), num(hf, 'prefillTokensPerSec')),
      decodeRatio: ratio(num(ours, 'decodeTokensPerSec'), num(hf, 'decodeTokensPerSec')),
      idsEqual: cmp ? cmp.matching === oursIds.length : null,
      idsMatching: cmp ? `${cmp.matching}/${oursIds.length}` : null,
      firstMismatch: cmp?.firstMismatch ?? null,
      ours: rates(ours),
      hf: rates(hf),
      promptTokens: num(ours, 'promptTokens'),
      otherBusyCpus: { ours: ours.otherBusyCpusStart, hf: hf?.otherBusyCpusStart ?? null },
      loadAvg1m: os.loadavg()[0],
      libtorch: { ours: ours.torchVersion, anchor: hf?.torchVersion ?? null, transformers: hf?.transformersVersion ?? null },
    }));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
