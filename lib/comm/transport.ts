/**
 * What workers see of the network: an endpoint per worker that sends typed messages to an address and
 * hands incoming ones to a handler. Server and Client code depend on this interface only, so the
 * in-process transport and a network transport are interchangeable.
 */
import type { Address, AnyMessage } from './messages.js';

export type MessageHandler = (from: Address, message: AnyMessage) => void | Promise<void>;

export interface EndpointStats {
  bytesSent: number;
  bytesReceived: number;
}

export interface Endpoint {
  readonly address: Address;
  /** Sends `message` to `to`; resolves once the transport has taken the bytes (not when handled). */
  send(to: Address, message: AnyMessage): Promise<void>;
  /** Sets the handler of incoming messages (one per endpoint). */
  onMessage(handler: MessageHandler): void;
  /** Encoded bytes this endpoint sent and received so far. */
  readonly stats: EndpointStats;
  close(): void;
}

export interface Transport {
  /** The endpoint of `address` (created on first use). */
  endpoint(address: Address): Endpoint;
  /** Called with any error a handler throws (the run fails with it). */
  onError(handler: (error: unknown) => void): void;
  close(): void;
}
