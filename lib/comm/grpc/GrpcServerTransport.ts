/**
 * The server's side of the network transport: a gRPC server whose clients each hold one bidirectional
 * `Exchange` stream, authenticated by client id and token in the call metadata. Only the `'server'`
 * endpoint lives here; clients run GrpcClientTransport in their own processes or machines. Messages are
 * the encoded frames of messageFrame.ts (bytes counted on them), chunked as chunking.ts says.
 */
import * as grpc from '@grpc/grpc-js';
import { fsllmError, invalidArg, type FsllmError } from '../../errors/index.js';
import { decodeMessage } from '../messageFrame.js';
import { messageShapeProblem } from '../messageShape.js';
import type { Address, AnyMessage } from '../messages.js';
import type { Endpoint, Transport } from '../transport.js';
import { authenticate, tokenTable, type TokenTable } from './auth.js';
import { clipForLog } from './clipForLog.js';
import { checkChunkBytes, checkMaxMessageBytes, type ChunkHook } from './chunking.js';
import { ChunkLink } from './ChunkLink.js';
import type { GrpcServerTlsOptions } from './credentials.js';
import { GrpcEndpoint } from './GrpcEndpoint.js';
import { REPLACED_DETAILS, serverOptions, transportService } from './service.js';
import { ServerPort } from './ServerPort.js';

export type GrpcLogLevel = 'info' | 'warn' | 'error';
/** Receives the transport's log lines (refused connections, refused messages, connects and disconnects). */
export type GrpcLog = (level: GrpcLogLevel, message: string) => void;

export interface GrpcServerTransportOptions {
  /** Interface to bind, e.g. `'127.0.0.1'` or `'0.0.0.0'`. */
  host: string;
  /** TCP port; 0 picks a free one (read it from `.port`). */
  port: number;
  /** Serve TLS; without it the server is plaintext (fine on loopback, not elsewhere). */
  tls?: GrpcServerTlsOptions;
  /** Client id → token. When given, only these ids with their token may connect. */
  tokens?: ReadonlyMap<number, string> | Record<string, string>;
  /** Largest chunk payload in bytes; default 1 MiB, at most 16 MiB. */
  chunkBytes?: number;
  /**
   * Largest whole message a client may send, in bytes; default 512 MiB. A larger one is refused as its
   * first chunk arrives. Set it just above the largest update the run expects.
   */
  maxMessageBytes?: number;
  log?: GrpcLog;
  /** @internal test hook on outgoing chunks. */
  chunkHook?: ChunkHook;
}

/** A stream's closing reason for the log: an Error's message or a gRPC status's details. */
function whyClosed(error: unknown): string {
  const e = error as { message?: string; details?: string };
  return e.details ?? e.message ?? String(error);
}

/** Default log: warnings and errors to stderr, info dropped. */
export const stderrLog: GrpcLog = (level, message) => {
  if (level !== 'info') process.stderr.write(`[fsllm grpc] ${level}: ${message}\n`);
};

/**
 * @example
 * const transport = await GrpcServerTransport.listen({ host: '0.0.0.0', port: 50051, tls, tokens });
 * transport.onConnection((id, up) => console.log(`client ${id} ${up ? 'connected' : 'left'}`));
 * const server = new Server(transport.endpoint('server'), ...);
 */
export class GrpcServerTransport implements Transport {
  readonly #server: grpc.Server;
  readonly #tokens: TokenTable;
  readonly #chunkBytes: number;
  readonly #maxMessageBytes: number;
  readonly #log: GrpcLog;
  readonly #chunkHook: ChunkHook | undefined;
  readonly #endpoint = new GrpcEndpoint('server', { sendBytes: (to, bytes) => this.#sendTo(to, bytes), fail: (error) => this.#onError(error) });
  readonly #links = new Map<number, ChunkLink>();
  readonly #connectionListeners = new Set<(id: number, connected: boolean) => void>();
  readonly #refusedListeners = new Set<(id: number, error: FsllmError) => void>();
  #onError: (error: unknown) => void;
  #serverPort: ServerPort | null = null;
  #closed = false;

  private constructor(opts: GrpcServerTransportOptions, tokens: TokenTable) {
    this.#tokens = tokens;
    this.#chunkBytes = checkChunkBytes(opts.chunkBytes);
    this.#maxMessageBytes = checkMaxMessageBytes(opts.maxMessageBytes);
    this.#log = opts.log ?? stderrLog;
    this.#chunkHook = opts.chunkHook;
    this.#onError = (error) => this.#log('error', String((error as Error)?.message ?? error));
    this.#server = new grpc.Server(serverOptions);
    this.#server.addService(transportService, { Exchange: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.#accept(call) });
  }

  /**
   * Starts a server on `host:port`.
   * @throws `ERR_FSLLM_INVALID_ARG` (synchronously) for bad options, (rejects) for a TLS certificate, key
   *   or CA that cannot be used; `ERR_FSLLM_PROTOCOL` (rejects) when the port cannot be bound.
   */
  static listen(opts: GrpcServerTransportOptions): Promise<GrpcServerTransport> {
    // Validate
    if (typeof opts?.host !== 'string' || opts.host.length === 0) throw invalidArg('host', 'non-empty string', opts?.host);
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw invalidArg('port', 'integer between 0 and 65535', opts.port);
    if (opts.tls !== undefined && (!opts.tls.cert || !opts.tls.key)) throw invalidArg('tls', 'object with cert and key (PEM)', opts.tls);
    if (opts.tls?.requireClientCert && !opts.tls.ca) throw invalidArg('tls.ca', 'PEM CA when requireClientCert is set', opts.tls.ca);
    const transport = new GrpcServerTransport(opts, tokenTable(opts.tokens));
    return transport.#bind(opts);
  }

  async #bind(opts: GrpcServerTransportOptions): Promise<GrpcServerTransport> {
    const host = opts.host.replace(/^\[(.*)\]$/, '$1');
    this.#serverPort = await ServerPort.listen(this.#server, host, opts.port, opts.tls, this.#log);
    return this;
  }

  /** The bound TCP port. */
  get port(): number {
    return this.#serverPort?.port ?? 0;
  }

  /** Ids of the clients connected now. */
  connectedClients(): number[] {
    return [...this.#links.keys()].sort((a, b) => a - b);
  }

  /** The server's endpoint; clients live in other processes. @throws `ERR_FSLLM_INVALID_ARG` for a client id. */
  endpoint(address: Address): Endpoint {
    if (address !== 'server') throw fsllmError('ERR_FSLLM_INVALID_ARG', `Client ${String(address)} connects over gRPC with GrpcClientTransport; only 'server' lives here`);
    return this.#endpoint;
  }

  /**
   * Sets the handler of the server's own failures: a message handler that throws, a listener that throws.
   * Nothing a client sends reaches it; a client's malformed message is that client's refusal (`onRefused`).
   */
  onError(handler: (error: unknown) => void): void {
    this.#onError = handler;
  }

  /**
   * Adds a listener told when a message from client `id` is refused (`error.code` is `ERR_FSLLM_PROTOCOL`,
   * the message says why): a malformed chunk stream (short, wrong version, out of order, too large, failed
   * digest), bytes that are not a message frame, or a message without the shape of its type
   * (messageShape.ts). The refusal is logged first; right after the listeners return, the client's stream is
   * closed (status INVALID_ARGUMENT with the reason), so `onConnection` listeners hear `(id, false)`: the
   * layer above drops the client for the round as it does any lost client, and an honest client reconnects
   * by itself. Returns a function that removes the listener.
   */
  onRefused(listener: (id: number, error: FsllmError) => void): () => void {
    this.#refusedListeners.add(listener);
    return () => this.#refusedListeners.delete(listener);
  }

  /**
   * Adds a listener told when a client connects (`true`, also on reconnect) or its stream ends (`false`).
   * Returns a function that removes it.
   */
  onConnection(listener: (id: number, connected: boolean) => void): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  /** @throws `ERR_FSLLM_PROTOCOL` (rejects) when `to` is not connected or drops mid-send. */
  async #sendTo(to: Address, bytes: Uint8Array): Promise<void> {
    const link = typeof to === 'number' ? this.#links.get(to) : undefined;
    if (!link) throw fsllmError('ERR_FSLLM_PROTOCOL', `Client ${String(to)} is not connected to the gRPC server`);
    await link.send(bytes);
  }

  #accept(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    const auth = authenticate(call.metadata, this.#tokens);
    if (this.#closed || !auth.ok) {
      const reason = auth.ok ? 'the server is closing' : auth.reason;
      this.#log('warn', `Refused a connection from ${call.getPeer()}: ${reason}`);
      call.emit('error', { code: auth.ok ? grpc.status.UNAVAILABLE : grpc.status.UNAUTHENTICATED, details: reason });
      return;
    }
    const id = auth.id;
    const previous = this.#links.get(id);
    const link: ChunkLink = new ChunkLink(call, {
      chunkBytes: this.#chunkBytes,
      maxMessageBytes: this.#maxMessageBytes,
      peer: `client ${id}`,
      chunkHook: this.#chunkHook,
      onBytes: (bytes) => this.#receive(id, link, bytes),
      onRefused: (error) => this.#refuse(id, link, error),
      onClosed: (error) => {
        if (this.#links.get(id) !== link) return;
        this.#links.delete(id);
        this.#log('info', `Client ${id} disconnected${error ? ` (${whyClosed(error)})` : ''}`);
        this.#emitConnection(id, false);
      },
    });
    this.#links.set(id, link);
    if (previous) {
      this.#log('warn', `Client ${id} connected again from ${call.getPeer()}; the older connection is closed`);
      previous.end({ code: grpc.status.ABORTED, details: REPLACED_DETAILS });
    }
    call.sendMetadata(new grpc.Metadata()); // tells the client it is accepted
    this.#log('info', `Client ${id} connected from ${call.getPeer()}`);
    this.#emitConnection(id, true);
  }

  #receive(id: number, link: ChunkLink, bytes: Uint8Array): void {
    let message: AnyMessage;
    try {
      message = decodeMessage(bytes);
    } catch (error) {
      this.#refuse(id, link, error as FsllmError);
      return;
    }
    const problem = messageShapeProblem(message, 'client');
    if (problem) {
      this.#refuse(id, link, fsllmError('ERR_FSLLM_PROTOCOL', `Malformed message: ${clipForLog(problem, 200)}`));
      return;
    }
    this.#endpoint.deliver(id, message, bytes.byteLength);
  }

  /**
   * A client sent something we cannot use. Its stream is closed even when the chunks themselves were sound
   * (a frame that does not decode): we cannot tell which request the client meant to answer, and a closed
   * stream is the one signal the layer above already handles (the client is lost for the round and rejoins
   * after it reconnects). The status tells the client why.
   */
  #refuse(id: number, link: ChunkLink, error: FsllmError): void {
    this.#log('warn', `Refused client ${id}: ${error.message}; its stream is closed`);
    for (const listener of this.#refusedListeners) {
      try {
        listener(id, error);
      } catch (thrown) {
        this.#onError(thrown);
      }
    }
    link.abort({ code: grpc.status.INVALID_ARGUMENT, details: `the server refused a message: ${error.message}` });
  }

  #emitConnection(id: number, connected: boolean): void {
    for (const listener of this.#connectionListeners) {
      try {
        listener(id, connected);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /**
   * Ends every client stream after its queued messages (status OK: clients do not reconnect), then stops
   * the server, forcibly after 2 s. `force` drops the connections at once instead, as a crash would
   * (clients see UNAVAILABLE or CANCELLED and try to reconnect).
   */
  async shutdown(options: { force?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#endpoint.close();
    this.#serverPort?.close();
    if (options.force) {
      this.#server.forceShutdown();
      return;
    }
    for (const link of this.#links.values()) link.end();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, 2000);
      force.unref();
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** As `shutdown()`, without waiting. */
  close(): void {
    void this.shutdown();
  }
}
