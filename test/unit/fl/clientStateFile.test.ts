import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { writeSafetensors } from '../../../lib/formats/index.js';
import { clientStateFile, readClientState, writeClientState } from '../../../lib/fl/clientStateFile.js';
import { fails } from '../../helpers/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-client-state-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a client state round-trips with what it holds, and is absent until written', async () => {
  const file = clientStateFile(path.join(dir, 'out'), 4);
  assert.is(path.relative(dir, file), path.join('out', 'client-state', 'client-4.safetensors'));
  assert.is(await readClientState(file), null);
  const full = { cursor: { epoch: 2, offset: 7 }, optimizer: Float32Array.from([1, 2]), residual: Float32Array.from([3]), personal: Float32Array.from([4, 5, 6]) };
  await writeClientState(file, full);
  assert.equal(await readClientState(file), full);
  const bare = { cursor: { epoch: 0, offset: 1 }, optimizer: null };
  await writeClientState(file, bare);
  assert.equal(await readClientState(file), bare, 'a later write replaces the earlier state');
});

test('a state file without its cursor is refused, saying how to start afresh', async () => {
  const file = path.join(dir, 'broken.safetensors');
  await writeSafetensors(file, [{ name: 'personal', dtype: 'f32', shape: [1], data: new Float32Array(1) }]);
  await fails(() => readClientState(file), 'ERR_FSLLM_CHECKPOINT', /no readable data cursor; remove the file to start this client afresh/);
});

test.run();
