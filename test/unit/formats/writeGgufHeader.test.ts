// ggufHeaderBytes: what it writes, readGguf reads back (metadata, tensor infos, data offset).
import fs from 'node:fs/promises';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { readGguf } from '../../../lib/formats/index.js';
import { ggufHeaderBytes } from '../../../lib/formats/writeGgufHeader.js';
import { tempDir } from './_support.js';

const header = suite<{ dir: string }>('ggufHeaderBytes');
header.before(async (ctx) => { ctx.dir = await tempDir(); });
header.after(async (ctx) => { await fs.rm(ctx.dir, { recursive: true, force: true }); });

header('should write metadata and tensor infos that readGguf reads back', async ({ dir }) => {
  const metadata: [string, string | number | boolean | Int32Array][] = [
    ['general.architecture', 'llama'], ['general.alignment', 64], ['llama.block_count', 2], ['eps', 1e-5], ['flag', true], ['ids', new Int32Array([-1, 2])],
  ];
  const tensors = [
    { name: 'a.weight', shape: [64, 32], ggmlType: 2, offset: 0 },
    { name: 'b.weight', shape: [32], ggmlType: 0, offset: 1152 },
  ];
  const head = ggufHeaderBytes(metadata, tensors, 64);
  assert.is(head.length % 64, 0);
  const file = path.join(dir, 'h.gguf');
  await fs.writeFile(file, Buffer.concat([head, Buffer.alloc(1152 + 128)]));
  const gguf = await readGguf(file);
  assert.is(gguf.dataOffset, head.length);
  assert.equal([...gguf.metadata], metadata);
  assert.equal(gguf.tensors.map((t) => [t.name, t.shape, t.typeName, t.offset - gguf.dataOffset, t.byteLength]),
    [['a.weight', [64, 32], 'Q4_0', 0, 64 * 18], ['b.weight', [32], 'F32', 1152, 128]]);
});

header('should write an empty header padded to the default alignment of 32', () => {
  const head = ggufHeaderBytes([]);
  assert.is(head.length, 32);
  assert.is(head.subarray(0, 4).toString('latin1'), 'GGUF');
});

header.run();
