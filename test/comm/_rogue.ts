// A rogue peer for the gRPC transport tests: it holds a valid id and token but speaks the chunk protocol
// by hand on a real `Exchange` stream, so it can send what GrpcClientTransport never would.
import * as grpc from '@grpc/grpc-js';
import { CHUNK_HEADER_BYTES, DIGEST_BYTES, Reassembler } from '../../lib/comm/grpc/chunking.js';
import { CLIENT_ID_KEY, EXCHANGE_PATH, TOKEN_KEY } from '../../lib/comm/grpc/service.js';
import { decodeMessage, encodeMessage } from '../../lib/comm/messageFrame.js';
import type { AnyMessage } from '../../lib/comm/messages.js';
import { createHash } from 'node:crypto';

export interface Rogue {
  /** Writes one raw chunk. */
  write(chunk: Buffer): void;
  /** Resolves with the call's final status (code and details) once the server ends the stream. */
  status: Promise<{ code: number; details: string }>;
  /**
   * Resolves with the first whole message the server sends on this stream (in a run: a training or
   * evaluation request, or `finish`); rejects if the server's chunks do not reassemble. Never settles when
   * the server sends nothing.
   */
  firstMessage: Promise<AnyMessage>;
  close(): void;
}

/** Opens an `Exchange` stream as client `id` and waits until the server accepts it. */
export async function connectRogue(port: number, id: string, token: string): Promise<Rogue> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set(CLIENT_ID_KEY, id);
  metadata.set(TOKEN_KEY, token);
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(EXCHANGE_PATH, (b) => b, (b) => b, metadata, {});
  const status = new Promise<{ code: number; details: string }>((resolve) => {
    call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details }));
  });
  call.on('error', () => {}); // the status above is what the tests read
  const incoming = new Reassembler();
  const firstMessage = new Promise<AnyMessage>((resolve, reject) => {
    call.on('data', (chunk: Buffer) => {
      try {
        const bytes = incoming.push(chunk);
        if (bytes) resolve(decodeMessage(bytes));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
  firstMessage.catch(() => {}); // read only by callers that wait for the server
  await new Promise<void>((resolve, reject) => {
    call.once('metadata', () => resolve());
    void status.then((s) => reject(new Error(`rogue refused at connect: ${s.details}`)));
  });
  return {
    write: (chunk) => void call.write(chunk),
    status,
    firstMessage,
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

/** A chunk header as chunking.ts lays it out, followed by `payload` (and a digest when `digest` is given). */
export function rawChunk(h: { version?: number; flags?: number; id?: number; index?: number; count?: number; total?: number }, payload: Uint8Array, digest?: Buffer): Buffer {
  const extra = digest ? DIGEST_BYTES : 0;
  const chunk = Buffer.alloc(CHUNK_HEADER_BYTES + extra + payload.byteLength);
  chunk.writeUInt8(h.version ?? 1, 0);
  chunk.writeUInt8(h.flags ?? (digest ? 1 : 0), 1);
  chunk.writeUInt32LE(h.id ?? 1, 4);
  chunk.writeUInt32LE(h.index ?? 0, 8);
  chunk.writeUInt32LE(h.count ?? 1, 12);
  chunk.writeBigUInt64LE(BigInt(h.total ?? payload.byteLength), 16);
  if (digest) digest.copy(chunk, CHUNK_HEADER_BYTES);
  chunk.set(payload, CHUNK_HEADER_BYTES + extra);
  return chunk;
}

/** One whole message in a single, well-formed chunk (its payload need not be a valid message frame). */
export function wholeChunk(payload: Uint8Array, id = 1): Buffer {
  return rawChunk({ id }, payload, createHash('sha256').update(payload).digest());
}

/** A well-formed `message` (messageFrame.ts) in a single chunk, as GrpcClientTransport would send it. */
export function messageChunk(message: AnyMessage, id = 1): Buffer {
  return wholeChunk(encodeMessage(message), id);
}
