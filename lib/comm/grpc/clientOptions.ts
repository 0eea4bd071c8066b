/** The options and connection states of a GrpcClientTransport (the client's side of the gRPC transport). */
import type { ChunkHook } from './chunking.js';
import type { GrpcClientTlsOptions } from './credentials.js';
import type { GrpcLog } from './GrpcServerTransport.js';

export interface GrpcClientTransportOptions {
  /** The server, `host:port` (IPv6 as `[::1]:port`). */
  address: string;
  /** This client's id (1-based). */
  clientId: number;
  /** The token the server expects of this id. */
  token?: string;
  /** TLS options; `false` or absent means plaintext, allowed only on loopback unless `insecure` is set. */
  tls?: GrpcClientTlsOptions | false;
  /** Allows plaintext to a non-loopback address. */
  insecure?: boolean;
  /** Largest chunk payload in bytes; default 1 MiB, at most 16 MiB. */
  chunkBytes?: number;
  /** Largest whole message accepted from the server, in bytes; default 512 MiB. */
  maxMessageBytes?: number;
  /** Attempts after a drop (and after a first failed connect), `delayMs` apart; default 5 × 1000 ms. */
  reconnect?: { retries: number; delayMs: number };
  /** How long one connection attempt may take; default 10 000 ms. */
  connectTimeoutMs?: number;
  log?: GrpcLog;
  /** @internal test hook on outgoing chunks. */
  chunkHook?: ChunkHook;
}

/** `connected`; `reconnecting` after a drop; `ended` when the server ended the session; `failed`; `closed` by us. */
export type GrpcClientState = 'connecting' | 'connected' | 'reconnecting' | 'ended' | 'failed' | 'closed';
