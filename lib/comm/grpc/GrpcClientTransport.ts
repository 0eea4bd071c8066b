/**
 * A client's side of the network transport: one `Exchange` stream to the GrpcServerTransport, opened with
 * the client's id and token in the call metadata. When the stream drops it reconnects by itself (bounded
 * retries with a fixed delay); while it is down, sends are refused with `ERR_FSLLM_PROTOCOL`, never
 * dropped silently. It does not re-send anything: what the workers do after a reconnect is theirs to say.
 */
import * as grpc from '@grpc/grpc-js';
import { fsllmError, invalidArg } from '../../errors/index.js';
import { decodeMessage } from '../messageFrame.js';
import { messageShapeProblem } from '../messageShape.js';
import type { Address } from '../messages.js';
import type { Endpoint, Transport } from '../transport.js';
import { checkChunkBytes, checkMaxMessageBytes } from './chunking.js';
import { ChunkLink } from './ChunkLink.js';
import type { GrpcClientState, GrpcClientTransportOptions } from './clientOptions.js';
import { clientChannel, hostOf, type ClientChannel } from './credentials.js';
import { GrpcEndpoint } from './GrpcEndpoint.js';
import { stderrLog, type GrpcLog } from './GrpcServerTransport.js';
import { CLIENT_ID_KEY, channelOptions, EXCHANGE_PATH, REPLACED_DETAILS, TOKEN_KEY } from './service.js';
import { diagnoseTls } from './tlsProbe.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gRPC error status is final for these, and so is a TLS mismatch (`tlsMismatch`): retrying cannot help. */
const isFinal = (e: unknown) => {
  const error = e as { code?: number; tlsMismatch?: string } | null;
  const code = error?.code;
  return error?.tlsMismatch !== undefined || code === grpc.status.UNAUTHENTICATED || code === grpc.status.PERMISSION_DENIED || code === grpc.status.UNIMPLEMENTED;
};

/**
 * @example
 * const transport = await GrpcClientTransport.connect({ address: 'server:50051', clientId: 3, token, tls: { ca } });
 * const client = new Client(transport.endpoint(3), ...);
 */
export class GrpcClientTransport implements Transport {
  readonly #opts: GrpcClientTransportOptions;
  readonly #chunkBytes: number;
  readonly #maxMessageBytes: number;
  readonly #retry: { retries: number; delayMs: number };
  readonly #log: GrpcLog;
  readonly #client: grpc.Client;
  readonly #endpoint: GrpcEndpoint;
  readonly #connectionListeners = new Set<(connected: boolean) => void>();
  #link: ChunkLink | null = null;
  #call: grpc.ClientDuplexStream<Buffer, Buffer> | null = null;
  #state: GrpcClientState = 'connecting';
  #onError: (error: unknown) => void;

  private constructor(opts: GrpcClientTransportOptions, channel: ClientChannel) {
    this.#opts = opts;
    this.#chunkBytes = checkChunkBytes(opts.chunkBytes);
    this.#maxMessageBytes = checkMaxMessageBytes(opts.maxMessageBytes);
    this.#retry = opts.reconnect ?? { retries: 5, delayMs: 1000 };
    this.#log = opts.log ?? stderrLog;
    this.#onError = (error) => this.#log('error', String((error as Error)?.message ?? error));
    this.#client = new grpc.Client(opts.address, channel.creds, { ...channelOptions, ...channel.options });
    this.#endpoint = new GrpcEndpoint(opts.clientId, { sendBytes: (to, bytes) => this.#sendBytes(to, bytes), fail: (error) => this.#onError(error) });
  }

  /**
   * Connects to the server (retrying while it is unreachable, as `reconnect` says).
   * @throws `ERR_FSLLM_INVALID_ARG` (synchronously) for bad options, e.g. plaintext to a non-loopback host;
   *   `ERR_FSLLM_PROTOCOL` (rejects) when the server refuses the client (`cause.code` is the gRPC status,
   *   e.g. 16 UNAUTHENTICATED), cannot be reached, or the two sides disagree on TLS (the message starts
   *   `TLS mismatch` and says which side and what to set; this fails at the first attempt, not after retries).
   */
  static connect(opts: GrpcClientTransportOptions): Promise<GrpcClientTransport> {
    // Validate
    const host = typeof opts?.address === 'string' ? hostOf(opts.address) : null;
    if (host === null) throw invalidArg('address', "'host:port' string", opts?.address);
    if (!Number.isInteger(opts.clientId) || opts.clientId < 1) throw invalidArg('clientId', 'positive integer', opts.clientId);
    if (opts.token !== undefined && typeof opts.token !== 'string') throw invalidArg('token', 'string', opts.token);
    const r = opts.reconnect;
    if (r !== undefined && (!Number.isInteger(r.retries) || r.retries < 0 || !(r.delayMs >= 0))) throw invalidArg('reconnect', '{ retries: integer >= 0, delayMs: number >= 0 }', r);

    // Interpret (clientChannel also checks the TLS options)
    const channel = clientChannel(host, opts.tls, opts.insecure);
    return new GrpcClientTransport(opts, channel).#start();
  }

  get state(): GrpcClientState {
    return this.#state;
  }

  /** This client's endpoint. @throws `ERR_FSLLM_INVALID_ARG` for any other address. */
  endpoint(address: Address): Endpoint {
    if (address !== this.#opts.clientId) throw fsllmError('ERR_FSLLM_INVALID_ARG', `This transport is client ${this.#opts.clientId}'s; it has no endpoint ${String(address)}`);
    return this.#endpoint;
  }

  /** Receives refused messages, handler failures, and the final loss of the connection. */
  onError(handler: (error: unknown) => void): void {
    this.#onError = handler;
  }

  /** Adds a listener told when the stream comes up (`true`, also after a reconnect) or drops (`false`). */
  onConnection(listener: (connected: boolean) => void): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  async #start(): Promise<this> {
    let last: unknown;
    for (let attempt = 0; attempt <= this.#retry.retries; attempt++) {
      if (attempt > 0) await sleep(this.#retry.delayMs);
      try {
        await this.#attempt();
        return this;
      } catch (error) {
        last = error;
        if (isFinal(error)) break;
      }
    }
    this.#state = 'failed';
    this.#client.close();
    throw this.#refused(last);
  }

  #refused(error: unknown) {
    const e = error as { code?: number; details?: string; message?: string; tlsMismatch?: string };
    if (e.tlsMismatch) return fsllmError('ERR_FSLLM_PROTOCOL', `Client ${this.#opts.clientId} could not connect to ${this.#opts.address}: ${e.tlsMismatch}`, { cause: error });
    const name = e.code !== undefined ? `${grpc.status[e.code] ?? e.code}: ${e.details ?? e.message}` : String(e?.message ?? error);
    return fsllmError('ERR_FSLLM_PROTOCOL', `Client ${this.#opts.clientId} could not connect to ${this.#opts.address} (${name})`, { cause: error });
  }

  /**
   * One connection attempt. A failure to reach the server is probed for a TLS mismatch; one found is
   * marked (`tlsMismatch`), which makes the failure final.
   */
  async #attempt(): Promise<void> {
    try {
      await this.#open();
    } catch (error) {
      const code = (error as { code?: number } | null)?.code;
      if (code !== grpc.status.UNAVAILABLE && code !== grpc.status.DEADLINE_EXCEEDED) throw error;
      const [host, port] = [hostOf(this.#opts.address)!, Number(/(\d+)$/.exec(this.#opts.address)![1])];
      const mismatch = await diagnoseTls(host, port, this.#opts.tls);
      if (mismatch) {
        this.#log('error', `Client ${this.#opts.clientId}: ${mismatch}`);
        throw Object.assign(error as object, { tlsMismatch: mismatch });
      }
      throw error;
    }
  }

  /** Opens one stream and waits for the server's headers (its acceptance) or its refusal. */
  #open(): Promise<void> {
    const metadata = new grpc.Metadata();
    metadata.set(CLIENT_ID_KEY, String(this.#opts.clientId));
    if (this.#opts.token !== undefined) metadata.set(TOKEN_KEY, this.#opts.token);
    const call = this.#client.makeBidiStreamRequest<Buffer, Buffer>(EXCHANGE_PATH, (b) => b, (b) => b, metadata, {});
    call.on('error', () => {}); // every error is handled below or by the link; none may go unheard
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        call.cancel();
        settle(Object.assign(new Error('timed out waiting for the server'), { code: grpc.status.DEADLINE_EXCEEDED }));
      }, this.#opts.connectTimeoutMs ?? 10_000);
      const settle = (error: unknown) => {
        clearTimeout(timer);
        call.off('metadata', onMetadata);
        call.off('error', settle);
        if (error) return reject(error);
        if (this.#state === 'closed') {
          call.cancel();
          return reject(fsllmError('ERR_FSLLM_PROTOCOL', 'The transport was closed while connecting'));
        }
        this.#attach(call);
        resolve();
      };
      const onMetadata = () => settle(null);
      call.once('metadata', onMetadata);
      call.once('error', settle);
    });
  }

  #attach(call: grpc.ClientDuplexStream<Buffer, Buffer>): void {
    const link: ChunkLink = new ChunkLink(call, {
      chunkBytes: this.#chunkBytes,
      maxMessageBytes: this.#maxMessageBytes,
      peer: 'the server',
      chunkHook: this.#opts.chunkHook,
      onBytes: (bytes) => {
        try {
          const message = decodeMessage(bytes);
          const problem = messageShapeProblem(message, 'server');
          if (problem) throw fsllmError('ERR_FSLLM_PROTOCOL', `Malformed message: ${problem}`);
          this.#endpoint.deliver('server', message, bytes.byteLength);
        } catch (error) {
          this.#log('error', `From the server: ${(error as Error).message}`);
          this.#onError(error);
        }
      },
      onRefused: (error) => {
        this.#log('error', `From the server: ${error.message}`);
        this.#onError(error);
      },
      onClosed: (error) => this.#dropped(link, error),
    });
    this.#call = call;
    this.#link = link;
    this.#state = 'connected';
    this.#log('info', `Client ${this.#opts.clientId} connected to ${this.#opts.address}`);
    this.#emitConnection(true);
  }

  #dropped(link: ChunkLink, error: unknown): void {
    if (this.#link !== link) return;
    this.#link = null;
    this.#call = null;
    if (this.#state === 'closed') return this.#emitConnection(false);
    const e = error as { code?: number; details?: string } | null;
    if (!e || e.code === grpc.status.OK) {
      this.#state = 'ended';
      this.#log('info', `The server ended client ${this.#opts.clientId}'s session`);
    } else if (e.code === grpc.status.ABORTED && e.details === REPLACED_DETAILS) {
      this.#state = 'failed';
      this.#onError(fsllmError('ERR_FSLLM_PROTOCOL', `Client ${this.#opts.clientId}'s connection was ${REPLACED_DETAILS}`, { cause: error }));
    } else {
      this.#state = 'reconnecting';
      this.#log('warn', `Client ${this.#opts.clientId} lost its stream (${e.details ?? String(error)}); reconnecting`);
      void this.#reconnect();
    }
    this.#emitConnection(false);
  }

  async #reconnect(): Promise<void> {
    let last: unknown;
    for (let attempt = 1; attempt <= this.#retry.retries; attempt++) {
      await sleep(this.#retry.delayMs);
      if (this.#state !== 'reconnecting') return;
      try {
        await this.#attempt();
        return;
      } catch (error) {
        last = error;
        this.#log('warn', `Client ${this.#opts.clientId}: reconnect attempt ${attempt} of ${this.#retry.retries} failed`);
        if (isFinal(error)) break;
      }
    }
    if (this.#state !== 'reconnecting') return;
    this.#state = 'failed';
    this.#onError(this.#refused(last ?? new Error(`${this.#retry.retries} reconnect attempts`)));
  }

  async #sendBytes(to: Address, bytes: Uint8Array): Promise<void> {
    if (to !== 'server') throw fsllmError('ERR_FSLLM_PROTOCOL', `Client ${this.#opts.clientId} can only send to 'server', not ${String(to)}`);
    if (!this.#link) throw fsllmError('ERR_FSLLM_PROTOCOL', `Client ${this.#opts.clientId} is not connected to the server (${this.#state}); the message was not sent`);
    await this.#link.send(bytes);
  }

  #emitConnection(connected: boolean): void {
    for (const listener of this.#connectionListeners) {
      try {
        listener(connected);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /** Finishes the stream after the queued messages (cancelling it after 2 s) and closes the channel. */
  async shutdown(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#endpoint.close();
    const call = this.#call;
    const link = this.#link;
    if (call && link) {
      link.end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          call.cancel();
          resolve();
        }, 2000);
        timer.unref();
        call.once('status', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.#client.close();
  }

  /** As `shutdown()`, without waiting. */
  close(): void {
    void this.shutdown();
  }
}
