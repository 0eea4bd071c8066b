/**
 * The server side of a distributed run: reads the TLS files `distribute.tls` names and listens for
 * `fsllm client` processes over gRPC, with their tokens from `distribute.tokens`. Plain text is allowed
 * only on loopback, or when `distribute.insecure` says so.
 */
import { GrpcServerTransport } from '../comm/grpc/index.js';
import type { ResolvedOptions } from '../config/index.js';
import { fsllmError } from '../errors/index.js';
import { maxMessageBytes } from './messageLimit.js';
import { readTlsFile } from './tlsFiles.js';

function missingPem(which: string): never {
  throw fsllmError('ERR_FSLLM_CONFIG', `distribute.tls.${which}: the server needs a PEM ${which} file for TLS (set its path)`);
}

/** @throws `ERR_FSLLM_CONFIG` when TLS is needed but not configured, or a PEM file is not named. */
export async function listenGrpc(o: ResolvedOptions, warn: (message: string) => void): Promise<GrpcServerTransport> {
  const d = o.distribute;
  const loopback = d.host === 'localhost' || d.host.startsWith('127.') || d.host === '::1';
  if (!d.tls && !loopback && !d.insecure) {
    throw fsllmError('ERR_FSLLM_CONFIG', `distribute.tls: the server listens on ${d.host}, beyond loopback, so TLS is required (set distribute.tls.cert and .key, or distribute.insecure: true)`);
  }
  const tls = d.tls ? {
    cert: await readTlsFile('cert', d.tls.cert ?? missingPem('cert')),
    key: await readTlsFile('key', d.tls.key ?? missingPem('key')),
    ...(d.tls.ca ? { ca: await readTlsFile('ca', d.tls.ca) } : {}),
    ...(d.tls.requireClientCert ? { requireClientCert: true } : {}),
  } : undefined;
  return GrpcServerTransport.listen({
    host: d.host,
    port: d.port,
    ...(tls ? { tls } : {}),
    ...(d.tokens ? { tokens: d.tokens } : {}),
    maxMessageBytes: maxMessageBytes(o),
    log: (level, message) => {
      if (level !== 'info') warn(message);
    },
  });
}
