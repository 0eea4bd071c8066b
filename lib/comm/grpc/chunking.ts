/**
 * Splits an encoded message (messageFrame.ts) into gRPC-sized chunks and puts it back together. A chunk is
 * a 24-byte little-endian header, then up to `chunkBytes` of the message:
 *
 *   u8 version (1) | u8 flags (bit 0: a sha256 digest follows the header) | u16 reserved (0)
 *   u32 message id | u32 chunk index | u32 chunk count | u64 total message length
 *   [32-byte sha256 of the whole message, last chunk only] | payload
 *
 * Chunks of one message travel in order on one stream and are never interleaved with another message's,
 * so the receiver holds at most one message being assembled (plus the chunk in hand). A message may be no
 * larger than the receiver's `maxMessageBytes`: the size a first chunk declares is checked before anything
 * is buffered, and the bytes that really arrive are held to that declared size (gRPC's own limit only
 * bounds one chunk).
 */
import { constants } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { fsllmError, invalidArg } from '../../errors/index.js';

export const CHUNK_HEADER_BYTES = 24;
export const DIGEST_BYTES = 32;
/** The default payload size of a chunk: 1 MiB. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** The largest payload a chunk may carry; gRPC's receive limit is set from it (plus the header). */
export const MAX_CHUNK_BYTES = 16 << 20;
/** The gRPC message-size limit on both sides: one chunk, with room for its header and digest. */
export const GRPC_MAX_MESSAGE_BYTES = MAX_CHUNK_BYTES + 4096;
/**
 * The default ceiling on one whole message: 512 MiB, above the encoded LoRA adapters of the models this
 * library trains; a run with larger updates raises it (`maxMessageBytes`).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 512 << 20;

const VERSION = 1;
const MAX_LENGTH = constants.MAX_LENGTH;
const FLAG_DIGEST = 1;

/** Test hook: may return a replacement for a chunk before it is written (e.g. to corrupt one). */
export type ChunkHook = (chunk: Buffer, index: number, count: number) => Buffer | void;

/** Checks a `chunkBytes` option; returns the value to use. @throws `ERR_FSLLM_INVALID_ARG`. */
export function checkChunkBytes(value: unknown, name = 'chunkBytes'): number {
  if (value === undefined) return DEFAULT_CHUNK_BYTES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_CHUNK_BYTES) {
    throw invalidArg(name, `integer between 1 and ${MAX_CHUNK_BYTES}`, value);
  }
  return value;
}

/** Checks a `maxMessageBytes` option; returns the value to use. @throws `ERR_FSLLM_INVALID_ARG`. */
export function checkMaxMessageBytes(value: unknown, name = 'maxMessageBytes'): number {
  if (value === undefined) return DEFAULT_MAX_MESSAGE_BYTES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LENGTH) {
    throw invalidArg(name, `integer between 1 and ${MAX_LENGTH}`, value);
  }
  return value;
}

/** The chunks of message `bytes` (id `messageId`), each a fresh Buffer; the last one carries the digest. */
export function* chunkMessage(bytes: Uint8Array, messageId: number, chunkBytes: number, hook?: ChunkHook): Generator<Buffer> {
  const count = Math.max(1, Math.ceil(bytes.byteLength / chunkBytes));
  const digest = createHash('sha256').update(bytes).digest();
  for (let index = 0; index < count; index++) {
    const last = index === count - 1;
    const payload = bytes.subarray(index * chunkBytes, Math.min(bytes.byteLength, (index + 1) * chunkBytes));
    const extra = last ? DIGEST_BYTES : 0;
    const chunk = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + extra + payload.byteLength);
    chunk.writeUInt8(VERSION, 0);
    chunk.writeUInt8(last ? FLAG_DIGEST : 0, 1);
    chunk.writeUInt16LE(0, 2);
    chunk.writeUInt32LE(messageId >>> 0, 4);
    chunk.writeUInt32LE(index, 8);
    chunk.writeUInt32LE(count, 12);
    chunk.writeBigUInt64LE(BigInt(bytes.byteLength), 16);
    if (last) digest.copy(chunk, CHUNK_HEADER_BYTES);
    chunk.set(payload, CHUNK_HEADER_BYTES + extra);
    yield hook?.(chunk, index, count) ?? chunk;
  }
}

interface Assembly {
  id: number;
  count: number;
  next: number;
  filled: number;
  bytes: Buffer;
  hash: Hash;
}

/**
 * Reassembles the chunks of one stream. `push` returns the whole message when its last chunk arrives and
 * `null` before; it throws `ERR_FSLLM_PROTOCOL` when a chunk is malformed, out of order, too large or the
 * digest does not match. After a throw the partial message is dropped, and so are its remaining chunks.
 */
export class Reassembler {
  readonly #maxMessageBytes: number;
  #current: Assembly | null = null;
  /** A message refused part-way: its later chunks are skipped quietly. */
  #dropping: number | null = null;

  /** @param maxMessageBytes the largest whole message accepted (see `checkMaxMessageBytes`). */
  constructor(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  push(chunk: Buffer): Uint8Array | null {
    if (chunk.byteLength < CHUNK_HEADER_BYTES) throw this.#fail(`a chunk of ${chunk.byteLength} bytes is shorter than its header`);
    const version = chunk.readUInt8(0);
    const flags = chunk.readUInt8(1);
    const id = chunk.readUInt32LE(4);
    const index = chunk.readUInt32LE(8);
    const count = chunk.readUInt32LE(12);
    const total = Number(chunk.readBigUInt64LE(16));
    if (version !== VERSION) throw this.#fail(`chunk version ${version} is not ${VERSION}`);
    if (this.#dropping === id && index !== 0) return null;
    this.#dropping = null;

    // Start, or continue, the message being assembled
    if (index === 0) {
      if (this.#current) throw this.#fail(`message ${id} started before message ${this.#current.id} was complete`, id);
      // Checked before a byte is buffered: a peer cannot make us hold more than the limit by announcing it.
      if (total > this.#maxMessageBytes) throw this.#fail(`message ${id} declares ${total} bytes, over the limit of ${this.#maxMessageBytes} (maxMessageBytes)`, id);
      // Every chunk but the last carries at least one byte, so a count above the size is a lie.
      if (count < 1 || count > Math.max(1, total)) throw this.#fail(`message ${id} declares ${count} chunks of ${total} bytes`, id);
      // Pages of an unsafe allocation become resident only as the payload fills them.
      this.#current = { id, count, next: 0, filled: 0, bytes: Buffer.allocUnsafe(total), hash: createHash('sha256') };
    }
    const m = this.#current;
    if (!m) throw this.#fail(`chunk ${index} of message ${id} arrived without its first chunk`, id);
    if (id !== m.id || index !== m.next || count !== m.count || total !== m.bytes.byteLength) {
      throw this.#fail(`chunk ${index}/${count} of message ${id} does not follow chunk ${m.next - 1}/${m.count} of message ${m.id}`, id);
    }

    // Copy the payload in
    const last = index === count - 1;
    if (last !== ((flags & FLAG_DIGEST) !== 0)) throw this.#fail(`chunk ${index} of message ${id} has the digest flag wrong`, id);
    const start = CHUNK_HEADER_BYTES + (last ? DIGEST_BYTES : 0);
    if (chunk.byteLength < start) throw this.#fail(`the last chunk of message ${id} is too short for its digest`, id);
    const payload = chunk.subarray(start);
    if (m.filled + payload.byteLength > m.bytes.byteLength) throw this.#fail(`message ${id} runs past its declared ${total} bytes`, id);
    payload.copy(m.bytes, m.filled);
    m.hash.update(payload);
    m.filled += payload.byteLength;
    m.next++;
    if (!last) return null;

    // Check the whole message
    this.#current = null;
    if (m.filled !== m.bytes.byteLength) throw this.#fail(`message ${id} has ${m.filled} of its ${total} bytes`);
    const digest = chunk.subarray(CHUNK_HEADER_BYTES, CHUNK_HEADER_BYTES + DIGEST_BYTES);
    if (!m.hash.digest().equals(digest)) throw this.#fail(`message ${id} (${total} bytes) fails its sha256 check`);
    return new Uint8Array(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
  }

  #fail(why: string, dropId?: number) {
    if (dropId !== undefined) this.#dropping = dropId;
    this.#current = null;
    return fsllmError('ERR_FSLLM_PROTOCOL', `Refused a message: ${why}`);
  }
}
