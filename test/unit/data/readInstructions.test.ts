import fs from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { InvalidArgumentError } from '../../../lib/errors/index.js';
import { loadDataset, readInstructions } from '../../../lib/data/index.js';
import { tempDir } from './_support.js';
import { fails } from '../../helpers/errors.js';

type Ctx = { dir: string };
const good = (over: object = {}) => JSON.stringify({ instruction: 'Add 2 and 2.', input: '', output: '4', ...over });

const malformed = suite<Ctx>('readInstructions :: malformed rows');
malformed.before(async (ctx) => {
  ctx.dir = await tempDir();
});
malformed.after(async ({ dir }) => {
  await fs.rm(dir, { recursive: true, force: true });
});

const cases: [name: string, line: string, field: RegExp][] = [
  ['missing field', JSON.stringify({ instruction: 'Say hi.', input: '' }), /field "output" must be a string but is missing/],
  ['number instead of string', good({ input: 42 }), /field "input" must be a string but is number/],
  ['empty output', good({ output: '  ' }), /field "output" is empty/],
  ['null instruction', good({ instruction: null }), /field "instruction" must be a string but is null/],
  ['invalid JSON line', '{"instruction": "x", "output": ', /not valid JSON/],
];
for (const [name, line, field] of cases) {
  malformed(`should name file, line and field :: ${name}`, async ({ dir }) => {
    const file = path.join(dir, `${name.replaceAll(' ', '_')}.jsonl`);
    await fs.writeFile(file, `${good()}\n\n${good()}\n${line}\n${good()}\n`);
    const e = await fails(() => readInstructions(file), 'ERR_FSLLM_DATA', field);
    assert.ok(e.message.startsWith(`${file} line 4:`), e.message);
    assert.is(e.path, file);
  });
}
malformed('should name the mapped key, not the record field', async ({ dir }) => {
  const file = path.join(dir, 'dolly.jsonl');
  await fs.writeFile(file, `${JSON.stringify({ instruction: 'x', context: '', response: 7 })}\n`);
  await fails(() => readInstructions(file, { input: 'context', output: 'response' }), 'ERR_FSLLM_DATA', /line 1: field "response" must be a string but is number/);
});
malformed('should name the item of a JSON array file', async ({ dir }) => {
  const file = path.join(dir, 'rows.json');
  await fs.writeFile(file, `[${good()}, ${good({ output: ['4'] })}]`);
  await fails(() => readInstructions(file), 'ERR_FSLLM_DATA', /rows\.json item 1: field "output" must be a string but is object/);
});
malformed('should refuse a broken JSON array file with a coded error', async ({ dir }) => {
  const file = path.join(dir, 'broken.json');
  await fs.writeFile(file, `[${good()}, {"instruction": `);
  await fails(() => readInstructions(file), 'ERR_FSLLM_DATA', /broken\.json: not valid JSON/);
});
malformed('should refuse a row that is not an object', async ({ dir }) => {
  const file = path.join(dir, 'array.jsonl');
  await fs.writeFile(file, `${good()}\n["a", "b"]\n`);
  await fails(() => readInstructions(file), 'ERR_FSLLM_DATA', /line 2: expected an object/);
});
malformed('should skip empty outputs only when asked, reporting where', async ({ dir }) => {
  const file = path.join(dir, 'skip.jsonl');
  await fs.writeFile(file, `${good()}\n${good({ output: '' })}\n${good({ category: 'math' })}\n`);
  const skipped: string[] = [];
  const records = await readInstructions(file, {}, { onEmptyOutput: (where) => skipped.push(where) });
  assert.is(records.length, 2);
  assert.equal(skipped, [`${file} line 2`]);
  assert.is(records[1]!.category, 'math');
  assert.is(records[0]!.category, undefined);
});
malformed.run();

// ---

const file = suite<Ctx>("loadDataset :: type 'file'");
file.before(async (ctx) => {
  ctx.dir = await tempDir();
});
file.after(async ({ dir }) => {
  await fs.rm(dir, { recursive: true, force: true });
});
file('should read a JSONL file through keys', async ({ dir }) => {
  const f = path.join(dir, 'mine.jsonl');
  await fs.writeFile(f, `${JSON.stringify({ q: 'Why?', a: 'Because.', label: 'why' })}\n`);
  const { records, source, skipped } = await loadDataset({ type: 'file', file: f, keys: { instruction: 'q', output: 'a', category: 'label' } });
  assert.equal(records, [{ instruction: 'Why?', input: '', output: 'Because.', category: 'why' }]);
  assert.is(source, f);
  assert.equal(skipped, []);
});
file('should look a relative file up in root first (FS-LLM data.root/X.jsonl)', async ({ dir }) => {
  await fs.writeFile(path.join(dir, 'rel.jsonl'), `${good()}\n`);
  const { records, source } = await loadDataset({ type: 'file', file: 'rel.jsonl', root: dir });
  assert.is(source, path.join(dir, 'rel.jsonl'));
  assert.is(records.length, 1);
});
file('should keep the empty-output error for user files', async ({ dir }) => {
  const f = path.join(dir, 'empty.json');
  await fs.writeFile(f, `[${good({ output: '' })}]`);
  await fails(() => loadDataset({ type: 'file', file: f }), 'ERR_FSLLM_DATA', /empty\.json item 0: field "output" is empty/);
});
file('should refuse type file without file', async () => {
  const e = await fails(() => loadDataset({ type: 'file' }), 'ERR_FSLLM_INVALID_ARG', /Expected a \.json or \.jsonl path when type is 'file' for file/);
  assert.instance(e, InvalidArgumentError);
});
file('should refuse an unknown type, listing the known ones', async () => {
  await fails(() => loadDataset({ type: 'rosetta' as 'file' }), 'ERR_FSLLM_INVALID_ARG', /'dolly-15k', 'gsm8k', 'codealpaca', 'alpaca', 'alpaca-cleaned' for type but received "rosetta"/);
});
file('should fail with a coded error for a missing file', async ({ dir }) => {
  await fails(() => loadDataset({ type: 'file', file: path.join(dir, 'nope.jsonl') }), 'ERR_FSLLM_DATA', /nope\.jsonl: cannot read the data file/);
});
file.run();
