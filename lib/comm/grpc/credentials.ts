/**
 * A client's TLS options turned into grpc-js credentials, the TLS option types of both ends (the server
 * ends TLS itself, in ServerPort.ts), and the rule that a client sends plaintext beyond loopback only when
 * told to (`insecure`).
 */
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
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
 * The TLS server name a client sends when it reaches the server by IP address. grpc-js always sets the TLS
 * `servername` to the target host, and Node warns (DEP0123) when that is an IP address, which RFC 6066
 * forbids in SNI; so for an IP this placeholder is sent instead (`.invalid` can never name a real host),
 * and the certificate is still checked against the IP itself.
 */
export const IP_SERVERNAME_PLACEHOLDER = 'fsllm-server.invalid';

/** What a client's channel is built from: credentials and the channel options they need. */
export interface ClientChannel {
  creds: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
}

/**
 * A client's channel credentials for reaching `host`: TLS when `tls` is given, else plaintext.
 * @throws `ERR_FSLLM_INVALID_ARG` for TLS options without a CA, a cert without its key (or the reverse),
 *   or plaintext to a non-loopback host without `insecure`.
 */
export function clientChannel(host: string, tls: GrpcClientTlsOptions | false | undefined, insecure: boolean | undefined): ClientChannel {
  if (tls && !tls.ca) throw invalidArg('tls.ca', 'PEM CA of the server certificate', tls.ca);
  if (tls && !tls.cert !== !tls.key) throw invalidArg('tls', 'both cert and key, or neither', tls);
  if (!tls && !insecure && !isLoopback(host)) {
    throw invalidArg('tls', `TLS options ({ ca }) to reach non-loopback host ${host} (or insecure: true)`, tls);
  }
  if (!tls) return { creds: grpc.credentials.createInsecure(), options: {} };
  const byIp = isIP(host) !== 0;
  const creds = grpc.credentials.createSsl(
    toBuffer(tls.ca),
    tls.key ? toBuffer(tls.key) : null,
    tls.cert ? toBuffer(tls.cert) : null,
    byIp ? { checkServerIdentity: (_placeholder, cert) => checkServerIdentity(host, cert) } : {},
  );
  return { creds, options: byIp ? { 'grpc.ssl_target_name_override': IP_SERVERNAME_PLACEHOLDER } : {} };
}
