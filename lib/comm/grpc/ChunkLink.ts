/**
 * One gRPC stream (server or client side) seen as a pipe of whole encoded messages: outgoing messages are
 * chunked and written one after another, waiting for 'drain' whenever the stream's buffer is full; incoming
 * chunks are reassembled and checked. It knows nothing of ids, auth or reconnects.
 */
import type { Readable, Writable } from 'node:stream';

/** A gRPC call stream of either side (grpc-js types them as object streams, not as a `Duplex`). */
export type ChunkStream = Readable & Writable;
import { fsllmError, type FsllmError } from '../../errors/index.js';
import { chunkMessage, Reassembler, type ChunkHook } from './chunking.js';

export interface ChunkLinkOptions {
  chunkBytes: number;
  /** The largest whole message accepted from the peer. */
  maxMessageBytes: number;
  /** Called with each whole, checked message. */
  onBytes: (bytes: Uint8Array) => void;
  /** Called when an incoming message is refused (ERR_FSLLM_PROTOCOL); the stream stays usable unless `abort`ed. */
  onRefused: (error: FsllmError) => void;
  /** Called once when the stream ends, errors or is cancelled (with the error, if any). */
  onClosed: (error: unknown) => void;
  /** Names the peer in errors (e.g. `client 3`, `the server`). */
  peer: string;
  /** @internal test hook: may replace a chunk before it is written. */
  chunkHook?: ChunkHook;
}

export class ChunkLink {
  readonly #stream: ChunkStream;
  readonly #opts: ChunkLinkOptions;
  readonly #reassembler: Reassembler;
  #nextId = 1;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #closeWaiters = new Set<() => void>();

  constructor(stream: ChunkStream, opts: ChunkLinkOptions) {
    this.#stream = stream;
    this.#opts = opts;
    this.#reassembler = new Reassembler(opts.maxMessageBytes);
    stream.on('data', (chunk: Buffer) => this.#onChunk(chunk));
    stream.on('error', (error: unknown) => this.#close(error));
    // The peer finished its side: finish ours too (after queued messages), so the call completes.
    stream.on('end', () => {
      this.#close(null);
      this.end();
    });
    stream.on('close', () => this.#close(null));
    stream.on('cancelled', () => this.#close(null));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `bytes` behind earlier messages and resolves once every chunk is handed to the stream.
   * @throws `ERR_FSLLM_PROTOCOL` (rejects) when the stream closes before that.
   */
  send(bytes: Uint8Array): Promise<void> {
    const run = this.#queue.then(() => this.#write(bytes));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const id = this.#nextId++;
    for (const chunk of chunkMessage(bytes, id, this.#opts.chunkBytes, this.#opts.chunkHook)) {
      if (this.#closed || !this.#stream.writable) throw this.#lost(id);
      if (!this.#stream.write(chunk)) await this.#drain(id);
    }
  }

  #drain(id: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(this.#lost(id));
      const done = () => {
        this.#stream.off('drain', onDrain);
        this.#closeWaiters.delete(onClose);
      };
      const onDrain = () => {
        done();
        resolve();
      };
      const onClose = () => {
        done();
        reject(this.#lost(id));
      };
      this.#stream.on('drain', onDrain);
      this.#closeWaiters.add(onClose);
    });
  }

  #lost(id: number) {
    return fsllmError('ERR_FSLLM_PROTOCOL', `The connection to ${this.#opts.peer} closed while message ${id} was being sent`);
  }

  #onChunk(chunk: Buffer): void {
    if (this.#closed) return; // after abort(): nothing more from this peer is read
    let bytes: Uint8Array | null;
    try {
      bytes = this.#reassembler.push(chunk);
    } catch (error) {
      this.#opts.onRefused(error as FsllmError);
      return;
    }
    if (bytes) this.#opts.onBytes(bytes);
  }

  #close(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of [...this.#closeWaiters]) waiter();
    this.#opts.onClosed(error);
  }

  /**
   * Ends a server call at once with an error `status`, dropping queued messages and ignoring chunks still
   * arriving; `onClosed` is called with the status before this returns.
   */
  abort(status: { code: number; details: string }): void {
    if (this.#closed) return;
    this.#stream.emit('error', status);
    this.#close(status);
  }

  /** Ends our side after the queued messages are written; `status` ends a server call with an error status. */
  end(status?: { code: number; details: string }): void {
    void this.#queue.then(() => {
      if (status) this.#stream.emit('error', status);
      else if (this.#stream.writable) this.#stream.end();
    });
  }
}
