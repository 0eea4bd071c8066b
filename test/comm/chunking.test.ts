// The chunk format of the gRPC transport: split, reassemble, and refuse what does not check out.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { CHUNK_HEADER_BYTES, checkChunkBytes, checkMaxMessageBytes, chunkMessage, Reassembler } from '../../lib/comm/grpc/chunking.js';
import { InvalidArgumentError, FsllmError } from '../../lib/errors/index.js';
import { expectError } from '../native/_support.js';
import { adapter } from './_support.js';

const chunks = suite('chunkMessage');

chunks('should split into ceil(n / chunkBytes) chunks and reassemble the same bytes', () => {
  const bytes = adapter(10_000);
  const parts = [...chunkMessage(bytes, 7, 4096)];
  assert.is(parts.length, 3);
  assert.ok(parts.every((p) => p.byteLength <= CHUNK_HEADER_BYTES + 32 + 4096));
  const r = new Reassembler();
  assert.is(r.push(parts[0]!), null);
  assert.is(r.push(parts[1]!), null);
  const out = r.push(parts[2]!);
  assert.ok(out && Buffer.from(out).equals(Buffer.from(bytes)));
});

chunks('should carry an empty message in one chunk', () => {
  const parts = [...chunkMessage(new Uint8Array(0), 1, 16)];
  assert.is(parts.length, 1);
  assert.is(new Reassembler().push(parts[0]!)?.byteLength, 0);
});

chunks('should refuse a corrupted payload :: sha256 mismatch', async () => {
  const r = new Reassembler();
  const parts = [...chunkMessage(adapter(100), 1, 40)];
  parts[1]![CHUNK_HEADER_BYTES + 3]! ^= 0xff;
  r.push(parts[0]!);
  r.push(parts[1]!);
  await expectError(() => r.push(parts[2]!), FsllmError, 'ERR_FSLLM_PROTOCOL', /message 1 \(100 bytes\) fails its sha256 check/);
  // the next message is fine
  const good = adapter(50);
  const out = [...chunkMessage(good, 2, 40)].map((p) => r.push(p)).at(-1);
  assert.ok(out && Buffer.from(out).equals(Buffer.from(good)));
});

chunks('should refuse a chunk out of order and skip the rest of its message', async () => {
  const r = new Reassembler();
  const parts = [...chunkMessage(adapter(100), 5, 30)];
  r.push(parts[0]!);
  await expectError(() => r.push(parts[2]!), FsllmError, 'ERR_FSLLM_PROTOCOL', /chunk 2\/4 of message 5 does not follow chunk 0\/4/);
  assert.is(r.push(parts[3]!), null);
  await expectError(() => r.push(Buffer.alloc(5)), FsllmError, 'ERR_FSLLM_PROTOCOL', /shorter than its header/);
});

chunks('should refuse a first chunk that declares more than maxMessageBytes, and take the next message', async () => {
  const r = new Reassembler(100);
  const parts = [...chunkMessage(adapter(101), 3, 40)];
  await expectError(() => r.push(parts[0]!), FsllmError, 'ERR_FSLLM_PROTOCOL', /message 3 declares 101 bytes, over the limit of 100 \(maxMessageBytes\)/);
  assert.is(r.push(parts[1]!), null, 'the rest of the refused message is skipped');
  const good = adapter(100);
  const out = [...chunkMessage(good, 4, 40)].map((p) => r.push(p)).at(-1);
  assert.ok(out && Buffer.from(out).equals(Buffer.from(good)));
});

chunks('should validate maxMessageBytes :: ERR_FSLLM_INVALID_ARG', async () => {
  assert.is(checkMaxMessageBytes(undefined), 512 << 20);
  await expectError(() => checkMaxMessageBytes(-1), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /^Expected integer between 1 and \d+ for maxMessageBytes but received -1/);
});

chunks('should validate chunkBytes :: ERR_FSLLM_INVALID_ARG', async () => {
  assert.is(checkChunkBytes(undefined), 1 << 20);
  await expectError(() => checkChunkBytes(0), InvalidArgumentError, 'ERR_FSLLM_INVALID_ARG', /^Expected integer between 1 and 16777216 for chunkBytes but received 0/);
});

chunks.run();
