/**
 * Clients as child processes of the server's process: the server endpoint lives here, each client in a
 * forked Node process that talks to it over the IPC channel. Messages are the same encoded frames as
 * everywhere (bytes counted on them), so workers cannot tell this transport from the in-process one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fsllmError } from '../errors/index.js';
import { decodeMessage, encodeMessage } from './messageFrame.js';
import type { Address, AnyMessage } from './messages.js';
import type { Endpoint, EndpointStats, MessageHandler, Transport } from './transport.js';

/** What crosses the IPC channel: a frame for a worker, or a control message of the child's runner. */
export type IpcMessage =
  | { kind: 'frame'; from: Address; to: Address; bytes: Uint8Array }
  | { kind: 'control'; from: Address; body: unknown };

class ParentEndpoint implements Endpoint {
  readonly stats: EndpointStats = { bytesSent: 0, bytesReceived: 0 };
  handler: MessageHandler | null = null;

  constructor(
    readonly address: Address,
    private readonly transport: ProcessTransport,
  ) {}

  async send(to: Address, message: AnyMessage): Promise<void> {
    const bytes = encodeMessage(message);
    this.stats.bytesSent += bytes.byteLength;
    await this.transport.toChild(to, { kind: 'frame', from: this.address, to, bytes });
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  close(): void {}
}

export class ProcessTransport implements Transport {
  readonly #server: ParentEndpoint;
  readonly #children = new Map<Address, ChildProcess>();
  #onError: (error: unknown) => void = (error) => {
    throw error;
  };
  #onControl: (from: Address, body: unknown) => void = () => {};
  #closing = false;

  constructor() {
    this.#server = new ParentEndpoint('server', this);
  }

  /** Only the server lives in this process; clients are added with `spawn`. */
  endpoint(address: Address): Endpoint {
    if (address !== 'server') throw fsllmError('ERR_FSLLM_INVALID_ARG', `Client ${String(address)} runs in its own process: use spawn()`);
    return this.#server;
  }

  onError(handler: (error: unknown) => void): void {
    this.#onError = handler;
  }

  /** Receives the control messages children send (e.g. their final report); a throw is a transport error. */
  onControl(handler: (from: Address, body: unknown) => void): void {
    this.#onControl = handler;
  }

  /** Forks `script` as client `id`; `init` is its first message (what it needs to build its client). */
  spawn(id: number, script: string, init: unknown): ChildProcess {
    const child = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#children.set(id, child);
    child.on('message', (raw) => this.#fromChild(id, raw as IpcMessage));
    child.on('exit', (code, signal) => {
      if (!this.#closing && code !== 0) this.#onError(fsllmError('ERR_FSLLM_PROTOCOL', `Client ${id}'s process exited (${signal ?? `code ${code}`})`));
    });
    child.send({ kind: 'control', from: 'server', body: init } satisfies IpcMessage);
    return child;
  }

  /** @internal */
  toChild(to: Address, message: IpcMessage): Promise<void> {
    const child = this.#children.get(to);
    if (!child || !child.connected) return Promise.reject(fsllmError('ERR_FSLLM_PROTOCOL', `No client process listens at ${String(to)}`));
    return new Promise((resolve, reject) => child.send(message, (error) => (error ? reject(error) : resolve())));
  }

  #fromChild(id: number, message: IpcMessage): void {
    if (message.kind === 'control') {
      try {
        this.#onControl(id, message.body);
      } catch (error) {
        this.#onError(error);
      }
      return;
    }
    if (message.from !== id || message.to !== 'server') {
      this.#onError(fsllmError('ERR_FSLLM_PROTOCOL', `Client ${id}'s process sent a frame as ${String(message.from)} to ${String(message.to)}`));
      return;
    }
    const bytes = message.bytes instanceof Uint8Array ? message.bytes : new Uint8Array(message.bytes as ArrayBufferLike);
    this.#server.stats.bytesReceived += bytes.byteLength;
    try {
      Promise.resolve(this.#server.handler?.(id, decodeMessage(bytes))).catch((error: unknown) => this.#onError(error));
    } catch (error) {
      this.#onError(error);
    }
  }

  close(): void {
    this.#closing = true;
    for (const child of this.#children.values()) if (child.connected) child.disconnect();
  }
}

/** The child's side: the endpoint of the client this process runs, over the IPC channel to the parent. */
export class ChildEndpoint implements Endpoint {
  readonly stats: EndpointStats = { bytesSent: 0, bytesReceived: 0 };
  #handler: MessageHandler | null = null;

  constructor(readonly address: Address, onError: (error: unknown) => void) {
    process.on('message', (raw) => {
      const message = raw as IpcMessage;
      if (message.kind !== 'frame') return;
      const bytes = message.bytes instanceof Uint8Array ? message.bytes : new Uint8Array(message.bytes as ArrayBufferLike);
      this.stats.bytesReceived += bytes.byteLength;
      Promise.resolve(this.#handler?.(message.from, decodeMessage(bytes))).catch(onError);
    });
  }

  async send(to: Address, message: AnyMessage): Promise<void> {
    const bytes = encodeMessage(message);
    this.stats.bytesSent += bytes.byteLength;
    await new Promise<void>((resolve, reject) => process.send!({ kind: 'frame', from: this.address, to, bytes } satisfies IpcMessage, undefined, {}, (e) => (e ? reject(e) : resolve())));
  }

  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
  }

  close(): void {}
}
