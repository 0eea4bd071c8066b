/**
 * The Endpoint of either side of the gRPC transport: encodes, hands the bytes to its transport, counts them,
 * and delivers incoming messages to the handler (holding those that arrive before a handler is set).
 */
import { fsllmError } from '../../errors/index.js';
import { encodeMessage } from '../messageFrame.js';
import type { Address, AnyMessage } from '../messages.js';
import type { Endpoint, EndpointStats, MessageHandler } from '../transport.js';

export interface EndpointSide {
  /** Moves one encoded message to `to`; rejects if it cannot. */
  sendBytes(to: Address, bytes: Uint8Array): Promise<void>;
  /** Reports a handler's failure. */
  fail(error: unknown): void;
}

export class GrpcEndpoint implements Endpoint {
  readonly stats: EndpointStats = { bytesSent: 0, bytesReceived: 0 };
  #handler: MessageHandler | null = null;
  #early: Array<[Address, AnyMessage, number]> = [];
  #closed = false;

  constructor(
    readonly address: Address,
    private readonly side: EndpointSide,
  ) {}

  /** @throws `ERR_FSLLM_PROTOCOL` (rejects) when the peer is not connected, or the endpoint is closed. */
  async send(to: Address, message: AnyMessage): Promise<void> {
    if (this.#closed) throw fsllmError('ERR_FSLLM_PROTOCOL', `Endpoint ${String(this.address)} is closed`);
    const bytes = encodeMessage(message);
    await this.side.sendBytes(to, bytes);
    this.stats.bytesSent += bytes.byteLength;
  }

  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
    for (const [from, m, n] of this.#early.splice(0)) this.deliver(from, m, n);
  }

  /** @internal `byteLength`: the encoded size, counted as received. */
  deliver(from: Address, message: AnyMessage, byteLength: number): void {
    if (this.#closed) return;
    if (!this.#handler) {
      this.#early.push([from, message, byteLength]);
      return;
    }
    this.stats.bytesReceived += byteLength;
    try {
      Promise.resolve(this.#handler(from, message)).catch((error: unknown) => this.side.fail(error));
    } catch (error) {
      this.side.fail(error);
    }
  }

  close(): void {
    this.#closed = true;
  }
}
