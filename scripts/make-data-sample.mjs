// Regenerates the small real data sample embedded in assets/data/ (for the demo, the README examples and the
// evaluation tests on machines without the full sets). Selection is deterministic: file order, short rows only.
//   node scripts/make-data-sample.mjs [sharedRoot=../shared]
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, process.argv[2] ?? '../shared');
const out = path.join(root, 'assets', 'data');
mkdirSync(out, { recursive: true });

const readJsonl = (file) => {
  const bytes = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
};
const writeJsonl = (file, rows) => writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

// Dolly: 40 rows of each of the 8 categories, each under 500 characters in all.
const dolly = readJsonl(path.join(shared, 'datasets/dolly-15k/databricks-dolly-15k.jsonl'));
const perCategory = new Map();
for (const row of dolly) {
  const size = row.instruction.length + row.context.length + row.response.length;
  if (size >= 500 || row.response.trim() === '') continue;
  const list = perCategory.get(row.category) ?? [];
  if (list.length < 40) list.push(row);
  perCategory.set(row.category, list);
}
const dollyRows = [...perCategory.keys()].sort().flatMap((c) => perCategory.get(c));
writeJsonl(path.join(out, 'dolly-sample.jsonl'), dollyRows);

// GSM8K: the first 200 train and 50 test rows under 700 characters.
const short = (r) => r.question.length + r.answer.length < 700;
writeJsonl(path.join(out, 'gsm8k-train-sample.jsonl'), readJsonl(path.join(shared, 'datasets/gsm8k/train.jsonl')).filter(short).slice(0, 200));
writeJsonl(path.join(out, 'gsm8k-test-sample.jsonl'), readJsonl(path.join(shared, 'datasets/gsm8k/test.jsonl')).filter(short).slice(0, 50));

// HumanEval: the first 8 tasks, whole rows (prompt, canonical solution, tests).
writeJsonl(path.join(out, 'humaneval-sample.jsonl'), readJsonl(path.join(shared, 'datasets/humaneval/HumanEval.jsonl.gz')).slice(0, 8));
copyFileSync(path.join(shared, 'datasets/humaneval/LICENSE'), path.join(out, 'LICENSE-humaneval'));

// HumanEval-X: tasks 0, 2 and 162 (162 needs md5: a link flag in C++, an import in Go) of each language.
const xOut = path.join(out, 'humaneval-x-sample');
mkdirSync(xOut, { recursive: true });
for (const lang of ['cpp', 'go', 'java', 'js', 'python', 'rust']) {
  const rows = readJsonl(path.join(shared, `datasets/humaneval-x/humaneval_${lang}.jsonl.gz`));
  writeJsonl(path.join(xOut, `humaneval_${lang}.jsonl`), [0, 2, 162].map((i) => rows[i]));
}
copyFileSync(path.join(shared, 'datasets/humaneval-x/LICENSE'), path.join(xOut, 'LICENSE'));

// MMLU: the first 10 questions under 400 characters (question and choices) of four subjects, in file order.
// Its LICENSE-mmlu (hendrycks/test's MIT licence) is kept by hand: shared/ has no copy.
const subjects = ['abstract algebra', 'high school geography', 'us foreign policy', 'world religions'];
const mmluSize = (r) => r.question.length + r.answer_a.length + r.answer_b.length + r.answer_c.length + r.answer_d.length;
const mmlu = readJsonl(path.join(shared, 'datasets/mmlu/mmlu-test.jsonl'));
const mmluRows = subjects.flatMap((s) => mmlu.filter((r) => r.topic === s && mmluSize(r) < 400).slice(0, 10));
writeJsonl(path.join(out, 'mmlu-sample.jsonl'), mmluRows);
console.log(`dolly ${dollyRows.length} rows; gsm8k 200 + 50 rows; humaneval 8 + 6x3 tasks; mmlu ${mmluRows.length} rows -> ${out}`);
