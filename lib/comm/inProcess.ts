/**
 * The standalone transport: workers in one process. Messages are really encoded and decoded (so byte
 * counts are the wire's) and delivered on a later macrotask, never re-entrantly, in send order.
 */
import { fsllmError } from '../errors/index.js';
import { decodeMessage, encodeMessage } from './messageFrame.js';
import type { Address, AnyMessage } from './messages.js';
import type { Endpoint, EndpointStats, MessageHandler, Transport } from './transport.js';

class InProcessEndpoint implements Endpoint {
  readonly stats: EndpointStats = { bytesSent: 0, bytesReceived: 0 };
  handler: MessageHandler | null = null;
  closed = false;

  constructor(
    readonly address: Address,
    private readonly transport: InProcessTransport,
  ) {}

  async send(to: Address, message: AnyMessage): Promise<void> {
    if (this.closed) throw fsllmError('ERR_FSLLM_PROTOCOL', `Endpoint ${String(this.address)} is closed`);
    const bytes = encodeMessage(message);
    this.stats.bytesSent += bytes.byteLength;
    this.transport.deliver(this.address, to, bytes);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  close(): void {
    this.closed = true;
  }
}

export class InProcessTransport implements Transport {
  readonly #endpoints = new Map<Address, InProcessEndpoint>();
  #onError: (error: unknown) => void = (error) => {
    throw error;
  };

  endpoint(address: Address): Endpoint {
    let ep = this.#endpoints.get(address);
    if (!ep) {
      ep = new InProcessEndpoint(address, this);
      this.#endpoints.set(address, ep);
    }
    return ep;
  }

  onError(handler: (error: unknown) => void): void {
    this.#onError = handler;
  }

  /** @internal */
  deliver(from: Address, to: Address, bytes: Uint8Array): void {
    setImmediate(() => {
      const target = this.#endpoints.get(to);
      if (!target || target.closed || !target.handler) {
        this.#onError(fsllmError('ERR_FSLLM_PROTOCOL', `No worker listens at ${String(to)} (message from ${String(from)})`));
        return;
      }
      target.stats.bytesReceived += bytes.byteLength;
      try {
        Promise.resolve(target.handler(from, decodeMessage(bytes))).catch((error: unknown) => this.#onError(error));
      } catch (error) {
        this.#onError(error);
      }
    });
  }

  close(): void {
    for (const ep of this.#endpoints.values()) ep.close();
  }
}
