// distribute.maxMessageMiB: the server's gRPC transport refuses a message that announces more before
// buffering it, and a run whose adapter would not fit in one message fails at start naming the key.
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { resolveOptions } from '../../lib/config/index.js';
import type { FsllmError } from '../../lib/errors/index.js';
import { listenGrpc } from '../../lib/fl/listenGrpc.js';
import { checkAdapterFitsMessages } from '../../lib/fl/messageLimit.js';
import { connectRogue, rawChunk } from '../comm/_rogue.js';

const MiB = 1 << 20;

function options(maxMessageMiB: number) {
  return resolveOptions({
    model: { path: 'unused.bin' },
    data: { type: 'gsm8k' },
    federate: { mode: 'distributed' },
    distribute: { host: '127.0.0.1', port: 0, tokens: { 3: 'tok-3' }, maxMessageMiB },
  });
}

/** An adapter of `floats` fp32 values in one tensor. */
function adapterOf(floats: number) {
  return { data: new Float32Array(floats), manifest: [{ name: 'base_model.model.lora_A.weight', shape: [floats], offset: 0 }] };
}

test('the server transport refuses a message announcing more than distribute.maxMessageMiB, from its first chunk', async () => {
  const warnings: string[] = [];
  const server = await listenGrpc(options(1), (m) => void warnings.push(m));
  try {
    const rogue = await connectRogue(server.port, '3', 'tok-3');
    rogue.write(rawChunk({ count: 2, total: 2 * MiB }, Buffer.alloc(MiB)));
    const status = await rogue.status;
    rogue.close();
    assert.is(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /declares 2097152 bytes, over the limit of 1048576/);
    assert.ok(warnings.some((w) => /Refused client 3: .*over the limit of 1048576/.test(w)), warnings.join('\n'));
  } finally {
    await server.shutdown();
  }
});

test('a run whose adapter would not fit in one message fails at start, naming distribute.maxMessageMiB and the size it needs', () => {
  const adapter = adapterOf(2 * MiB); // 8 MiB of fp32
  try {
    checkAdapterFitsMessages(options(4), adapter);
    assert.unreachable('an 8 MiB adapter does not fit in 4 MiB');
  } catch (error) {
    assert.is((error as FsllmError).code, 'ERR_FSLLM_CONFIG');
    assert.match((error as Error).message, /^distribute\.maxMessageMiB: .* up to 9 MiB in one message, over the limit of 4 MiB; set distribute\.maxMessageMiB to 9 or more/);
  }
  checkAdapterFitsMessages(options(9), adapter);
});

test.run();
