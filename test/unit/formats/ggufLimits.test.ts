// Hostile GGUF headers: every declared length and nesting is bounded before it costs stack or memory.
import fs from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { readGguf } from '../../../lib/formats/index.js';
import { MAX_ARRAY_DEPTH, MAX_HEADER_BYTES, MAX_LIST_ITEMS } from '../../../lib/formats/ggufCursor.js';
import { fails } from '../../helpers/errors.js';
import { tempDir } from './_support.js';

const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const u64 = (n: number | bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
const str = (s: string) => [u64(Buffer.byteLength(s)), Buffer.from(s)];
const ARRAY = 9;

/** A GGUF v3 header with no tensors and one metadata key whose value (type + bytes) is `value`. */
function oneKey(key: string, value: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(1), ...str(key), ...value]);
}

/** A value of `depth` arrays, each holding the next, around an empty u32 array. */
function nested(depth: number): Buffer[] {
  const out = [u32(ARRAY)];
  for (let i = 1; i < depth; i++) out.push(u32(ARRAY), u64(1));
  out.push(u32(4), u64(0));
  return out;
}

const limits = suite<{ dir: string }>('readGguf :: limits');
limits.before(async (ctx) => { ctx.dir = await tempDir(); });
limits.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

limits('should read arrays nested as deep as the limit', async ({ dir }) => {
  const file = path.join(dir, 'deep-ok.gguf');
  await fs.writeFile(file, oneKey('fsllm.nested', nested(MAX_ARRAY_DEPTH)));
  let v = (await readGguf(file)).metadata.get('fsllm.nested');
  for (let d = 1; d < MAX_ARRAY_DEPTH; d++) v = (v as unknown[])[0] as typeof v;
  assert.equal(v, new Uint32Array(0));
});

limits('should refuse deeper nesting, naming the file and the key, without overflowing the stack', async ({ dir }) => {
  const file = path.join(dir, 'deep.gguf');
  await fs.writeFile(file, oneKey('tokenizer.ggml.tokens', nested(100_000)));
  const e = await fails(() => readGguf(file), 'ERR_FSLLM_CHECKPOINT',
    /^deep\.gguf: arrays nest more than 64 deep \(real files nest 1 or 2\) at metadata key "tokenizer\.ggml\.tokens"; the header is corrupt$/);
  assert.is(e.path, file);
  await fs.writeFile(file, oneKey('k', nested(MAX_ARRAY_DEPTH + 1)));
  await fails(() => readGguf(file), 'ERR_FSLLM_CHECKPOINT', /arrays nest more than 64 deep/);
});

const huge = 2n ** 52n;
for (const [variant, value] of [
  ['string length', [u32(8), u64(huge)]],
  ['u32 array length', [u32(ARRAY), u32(4), u64(huge)]],
  ['string array length', [u32(ARRAY), u32(8), u64(huge)]],
  ['nested array length', [u32(ARRAY), u32(ARRAY), u64(huge)]],
] as const) {
  limits(`should check a declared length against the file size :: ${variant}`, async ({ dir }) => {
    const file = path.join(dir, 'long.gguf');
    await fs.writeFile(file, oneKey('general.name', [...value]));
    const e = await fails(() => readGguf(file), 'ERR_FSLLM_CHECKPOINT',
      /^long\.gguf: the GGUF header runs past the end of the file \(\d+ bytes\) at metadata key "general\.name"; it is truncated or corrupt$/);
    assert.is(e.path, file);
  });
}

limits('should refuse a length that reaches past the header cap of a large file, without reading it', async ({ dir }) => {
  const file = path.join(dir, 'big.gguf');
  await fs.writeFile(file, oneKey('general.name', [u32(8), u64(MAX_HEADER_BYTES)]));
  await fs.truncate(file, MAX_HEADER_BYTES + (1 << 20)); // sparse: no disk or memory used
  await fails(() => readGguf(file), 'ERR_FSLLM_CHECKPOINT',
    /^big\.gguf: the GGUF header would run to byte \d+ \(real headers fit in 256 MiB\) at metadata key "general\.name"; the header is corrupt$/);
});

limits('should cap the list items a header may hold', async ({ dir }) => {
  const file = path.join(dir, 'many.gguf');
  await fs.writeFile(file, oneKey('tokenizer.ggml.merges', [u32(ARRAY), u32(7), u64(MAX_LIST_ITEMS + 1)]));
  await fs.truncate(file, MAX_LIST_ITEMS + (1 << 16)); // sparse: enough zero bytes for every bool
  await fails(() => readGguf(file), 'ERR_FSLLM_CHECKPOINT', /^many\.gguf: the header holds more than 16777216 list items at metadata key "tokenizer\.ggml\.merges"/);
});

limits('should name a tensor info that runs past the end', async ({ dir }) => {
  const file = path.join(dir, 'tensor.gguf');
  await fs.writeFile(file, Buffer.concat([Buffer.from('GGUF'), u32(3), u64(1), u64(0), ...str('blk.0.attn_q.weight'), u32(2), u64(8)]));
  await fails(() => readGguf(file), 'ERR_FSLLM_CHECKPOINT', /^tensor\.gguf: the GGUF header runs past the end of the file \(\d+ bytes\) at tensor info "blk\.0\.attn_q\.weight"/);
});

limits.run();
