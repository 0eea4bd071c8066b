import fs from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { readSafetensors, readSafetensorsHeader, safetensorsSource, writeSafetensors } from '../../../lib/formats/index.js';
import type { SafetensorsTensor } from '../../../lib/formats/index.js';
import { FIXTURES, tempDir } from './_support.js';
import { fails } from '../../helpers/errors.js';

function sample(): SafetensorsTensor[] {
  return [
    { name: 'b.half', dtype: 'f16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x0001]) },
    { name: 'a.weight', dtype: 'f32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) },
    { name: 'c.ids', dtype: 'i64', shape: [2], data: new BigInt64Array([-1n, 2n ** 40n]) },
    { name: 'd.bf16', dtype: 'bf16', shape: [1, 1], data: new Uint16Array([0x3f80]) },
    { name: 'e.f64', dtype: 'f64', shape: [], data: new Float64Array([Math.PI]) },
    { name: 'f.i32', dtype: 'i32', shape: [0, 4], data: new Int32Array(0) },
  ];
}

// ---

const write = suite<{ dir: string }>('writeSafetensors');
write.before(async (ctx) => { ctx.dir = await tempDir(); });
write.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

write('should round-trip names, dtypes, shapes, bytes and metadata', async ({ dir }) => {
  const file = path.join(dir, 'round.safetensors');
  await writeSafetensors(file, sample(), { format: 'pt', rank: '4' });
  const back = await readSafetensors(file);
  assert.equal(back.metadata, { format: 'pt', rank: '4' });
  const byName = new Map(back.tensors.map((t) => [t.name, t]));
  for (const t of sample()) {
    const got = byName.get(t.name);
    assert.ok(got, t.name);
    assert.is(got.dtype, t.dtype);
    assert.equal(got.shape, t.shape);
    assert.is(got.data.constructor, t.data.constructor);
    assert.equal(Array.from(got.data as ArrayLike<number | bigint>), Array.from(t.data as ArrayLike<number | bigint>));
  }
});

write('should sort header keys, align the data section to 8 bytes and every tensor to its element size', async ({ dir }) => {
  const file = path.join(dir, 'layout.safetensors');
  await writeSafetensors(file, sample(), { z: '1' });
  const bytes = await fs.readFile(file);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.is((8 + n) % 8, 0);
  const keys = Object.keys(JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')));
  assert.equal(keys, ['__metadata__', 'a.weight', 'b.half', 'c.ids', 'd.bf16', 'e.f64', 'f.i32']);
  const header = await readSafetensorsHeader(file);
  for (const t of header.tensors) {
    const size = { F32: 4, F16: 2, BF16: 2, I64: 8, F64: 8, I32: 4 }[t.formatDType] ?? 1;
    assert.is(t.offset % size, 0, `${t.name} at ${t.offset}`);
  }
});

write('should replace the target by renaming a temporary file from the same folder', async ({ dir }) => {
  const file = path.join(dir, 'atomic.safetensors');
  await fs.writeFile(file, 'old');
  const renames: [string, string][] = [];
  const rename = fs.rename;
  fs.rename = (async (from: string, to: string) => {
    renames.push([from, to]);
    assert.is(await fs.readFile(file, 'utf8'), 'old'); // target untouched until the rename
    return rename(from, to);
  }) as typeof fs.rename;
  try {
    await writeSafetensors(file, sample());
  } finally {
    fs.rename = rename;
  }
  assert.is(renames.length, 1);
  const [from, to] = renames[0]!;
  assert.is(to, file);
  assert.is(path.dirname(from), dir);
  assert.match(path.basename(from), /^\.atomic\.safetensors\..+\.tmp$/);
  assert.equal((await fs.readdir(dir)).filter((f) => f.includes('atomic')), ['atomic.safetensors']);
  assert.is((await readSafetensors(file)).tensors.length, sample().length);
});

write('should leave the target untouched and remove the temporary file when the rename fails', async ({ dir }) => {
  const file = path.join(dir, 'failing.safetensors');
  await fs.writeFile(file, 'old');
  const rename = fs.rename;
  fs.rename = (async () => { throw Object.assign(new Error('boom'), { code: 'EIO' }); }) as typeof fs.rename;
  try {
    await fails(() => writeSafetensors(file, sample()), 'ERR_FSLLM_CHECKPOINT', /^failing\.safetensors: cannot write the file \(EIO\)/);
  } finally {
    fs.rename = rename;
  }
  assert.is(await fs.readFile(file, 'utf8'), 'old');
  assert.equal((await fs.readdir(dir)).filter((f) => f.includes('failing')), ['failing.safetensors']);
});

const badArgs: [string, unknown[], unknown, RegExp][] = [
  ['dtype', [{ name: 'x', dtype: 'q4_0', shape: [1], data: new Float32Array(1) }], {}, /Expected one of f32, .* for tensors\[0\]\.dtype but received "q4_0" of type string/],
  ['array type', [{ name: 'x', dtype: 'f32', shape: [1], data: new Float64Array(1) }], {}, /Expected a Float32Array for dtype f32 for tensors\[0\]\.data but received .* of type Float64Array/],
  ['length', [{ name: 'x', dtype: 'f32', shape: [2, 2], data: new Float32Array(3) }], {}, /Expected 4 elements \(shape \[2, 2\]\) for tensors\[0\]\.data\.length but received 3/],
  ['duplicate', [sample()[1], sample()[1]], {}, /Expected unique tensor names for tensors\[1\]\.name but received "a\.weight"/],
  ['reserved name', [{ ...sample()[1]!, name: '__metadata__' }], {}, /for tensors\[0\]\.name/],
  ['metadata value', [], { rank: 4 }, /Expected a string for metadata\.rank but received 4 of type number/],
];
for (const [variant, tensors, metadata, message] of badArgs) {
  write(`should refuse bad arguments :: ${variant}`, async ({ dir }) => {
    const file = path.join(dir, 'bad.safetensors');
    await fails(() => writeSafetensors(file, tensors as SafetensorsTensor[], metadata as Record<string, string>), 'ERR_FSLLM_INVALID_ARG', message);
    assert.not.ok(await fs.access(file).then(() => true, () => false));
  });
}

write.run();

// ---

const header = suite<{ dir: string }>('readSafetensorsHeader');
header.before(async (ctx) => { ctx.dir = await tempDir(); });
header.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

header('should list tensors with absolute offsets', async () => {
  const file = path.join(FIXTURES, 'tiny-llama.expected.safetensors');
  const h = await readSafetensorsHeader(file);
  assert.equal(h.metadata, { source: 'make_gguf_fixture.py' });
  assert.is(h.tensors.length, 21);
  const embed = h.tensors.find((t) => t.name === 'model.embed_tokens.weight');
  assert.equal(embed?.shape, [128, 64]);
  assert.is(embed?.formatDType, 'F32');
  const last = h.tensors.at(-1)!;
  assert.is(last.offset + last.byteLength, h.fileSize);
  assert.is(h.tensors[0]!.offset, h.dataOffset);
});

header('should reject a truncated file naming the tensor', async ({ dir }) => {
  const file = path.join(dir, 'cut.safetensors');
  await writeSafetensors(file, sample());
  const { size } = await fs.stat(file);
  await fs.truncate(file, size - 3);
  await fails(() => readSafetensorsHeader(file), 'ERR_FSLLM_CHECKPOINT', /^cut\.safetensors: tensor \S+ ends at byte \d+ but the file has \d+ bytes; it is truncated$/);
});

header('should reject a header length beyond the file', async ({ dir }) => {
  const file = path.join(dir, 'long.safetensors');
  const bytes = Buffer.alloc(64, 0x20);
  bytes.writeBigUInt64LE(1000n, 0);
  await fs.writeFile(file, bytes);
  const e = await fails(() => readSafetensorsHeader(file), 'ERR_FSLLM_CHECKPOINT', /^long\.safetensors: header length 1000 runs past the end of the file \(64 bytes\)/);
  assert.is(e.path, file);
});

const corrupt: [string, string, RegExp][] = [
  ['not JSON', '{"a": ', /header is not valid JSON/],
  ['size mismatch', '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', /tensor w: data_offsets span 4 bytes but shape \[2\] of F32 needs 8/],
  ['unknown dtype', '{"w":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}}', /tensor w: unknown dtype Q9/],
  ['overlap', '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}', /tensor b overlaps/],
  ['metadata', '{"__metadata__":{"a":1}}', /__metadata__ must map strings to strings/],
];
for (const [variant, json, message] of corrupt) {
  header(`should reject a corrupt header :: ${variant}`, async ({ dir }) => {
    const file = path.join(dir, 'corrupt.safetensors');
    const text = Buffer.from(json);
    const bytes = Buffer.alloc(8 + text.length + 16);
    bytes.writeBigUInt64LE(BigInt(text.length), 0);
    text.copy(bytes, 8);
    await fs.writeFile(file, bytes);
    await fails(() => readSafetensorsHeader(file), 'ERR_FSLLM_CHECKPOINT', message);
  });
}

header('should name an unsupported dtype when reading data', async ({ dir }) => {
  const file = path.join(dir, 'int8.safetensors');
  const text = Buffer.from('{"w":{"dtype":"I8","shape":[8],"data_offsets":[0,8]}}');
  const bytes = Buffer.alloc(8 + text.length + 8);
  bytes.writeBigUInt64LE(BigInt(text.length), 0);
  text.copy(bytes, 8);
  await fs.writeFile(file, bytes);
  await fails(() => readSafetensors(file), 'ERR_FSLLM_CHECKPOINT', /tensor w has dtype I8, which fsllm cannot load; supported: F32, F16, BF16, F64, I32, I64/);
});

header.run();

// ---

const source = suite('safetensorsSource');

source('should place an entry in its file under the fsllm dtype name', () => {
  const entry = { name: 'w', formatDType: 'BF16', shape: [2, 3], offset: 96, byteLength: 12 };
  assert.equal(safetensorsSource(entry, '/m/model.safetensors'), {
    name: 'w', file: '/m/model.safetensors', offset: 96, byteLength: 12, dtype: 'bf16', shape: [2, 3],
  });
});

source('should refuse a dtype fsllm cannot load, naming the tensor and the file', async () => {
  const entry = { name: 'q', formatDType: 'I8', shape: [8], offset: 64, byteLength: 8 };
  await fails(() => safetensorsSource(entry, '/m/int8.safetensors'), 'ERR_FSLLM_CHECKPOINT', /int8\.safetensors: tensor q has dtype I8, which fsllm cannot load/);
});

source.run();
