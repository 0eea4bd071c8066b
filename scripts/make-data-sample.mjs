// Regenerates the small real data sample embedded in assets/data/ (for the demo and README examples on
// machines without the full sets). Selection is deterministic: file order, short rows only.
//   node scripts/make-data-sample.mjs [sharedRoot=../shared]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, process.argv[2] ?? '../shared');
const out = path.join(root, 'assets', 'data');
mkdirSync(out, { recursive: true });

const readJsonl = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
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
console.log(`dolly ${dollyRows.length} rows; gsm8k 200 + 50 rows -> ${out}`);
