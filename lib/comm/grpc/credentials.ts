/**
 * TLS options turned into grpc-js credentials, for both ends of the network transport, and the rule that
 * a client sends plaintext beyond loopback only when told to (`insecure`).
 */
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { invalidArg } from '../../errors/index.js';

export interface GrpcClientTlsOptions {
  /** PEM CA the server's certificate must chain to. */
  ca: Buffer | string;
  /** PEM client certificate and key, for servers that require one. */
  cert?: Buffer | string;
  key?: Buffer | string;
}

export interface GrpcServerTlsOptions {
  /** PEM certificate chain and private key of the server. */
  cert: Buffer | string;
  key: Buffer | string;
  /** PEM CA that client certificates must chain to (needed with `requireClientCert`). */
  ca?: Buffer | string;
  requireClientCert?: boolean;
}

const toBuffer = (v: Buffer | string) => (typeof v === 'string' ? Buffer.from(v) : v);

/** The host of a `host:port` address (IPv6 as `[::1]:port`), or null when it is not one. */
export function hostOf(address: string): string | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:[\]]+):(\d+)$/.exec(address);
  return m && Number(m[2]) <= 65535 ? m[1]! : null;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * A client's channel credentials for reaching `host`: TLS when `tls` is given, else plaintext.
 * @throws `ERR_FSLLM_INVALID_ARG` for TLS options without a CA, a cert without its key (or the reverse),
 *   or plaintext to a non-loopback host without `insecure`.
 */
export function clientCredentials(host: string, tls: GrpcClientTlsOptions | false | undefined, insecure: boolean | undefined): grpc.ChannelCredentials {
  if (tls && !tls.ca) throw invalidArg('tls.ca', 'PEM CA of the server certificate', tls.ca);
  if (tls && !tls.cert !== !tls.key) throw invalidArg('tls', 'both cert and key, or neither', tls);
  if (!tls && !insecure && !isLoopback(host)) {
    throw invalidArg('tls', `TLS options ({ ca }) to reach non-loopback host ${host} (or insecure: true)`, tls);
  }
  return tls
    ? grpc.credentials.createSsl(toBuffer(tls.ca), tls.key ? toBuffer(tls.key) : null, tls.cert ? toBuffer(tls.cert) : null)
    : grpc.credentials.createInsecure();
}

/** The server's credentials: TLS (asking for client certificates when `requireClientCert`) or plaintext. */
export function serverCredentials(tls: GrpcServerTlsOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    tls.ca ? toBuffer(tls.ca) : null,
    [{ cert_chain: toBuffer(tls.cert), private_key: toBuffer(tls.key) }],
    tls.requireClientCert ?? false,
  );
}
