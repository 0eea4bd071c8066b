/**
 * Says whether a failed connection is a TLS mismatch, by one direct TLS handshake with the server. grpc-js
 * reports every such failure as UNAVAILABLE, which a client retries like a server that is still starting,
 * so a wrong CA or a missing `tls` option used to end only after every reconnect attempt (about a minute)
 * and with a message that never said TLS. A mismatch is final: no retry can fix a setting.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { GrpcClientTlsOptions } from './credentials.js';

/** How long the probe may take in all. */
const PROBE_MS = 3000;
/** After the handshake a gRPC (HTTP/2) server speaks at once (its SETTINGS); silence then a close is a refusal. */
const SETTLE_MS = 500;

/** Certificate checks of the server by the client (Node's codes). */
const UNTRUSTED_SERVER = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_SIGNATURE_FAILURE|CERT_UNTRUSTED|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID)$/;
/** The server answered in something that is not TLS. */
const NOT_TLS = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST|RECORD_LAYER_FAILURE/;
/** The server's alerts about the client's certificate (mutual TLS). */
const CLIENT_CERT_REFUSED = /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE|DECRYPT_ERROR)/;

/**
 * `secure`: the handshake completed and the server kept the connection (or spoke); `dropped`: it completed
 * and the server closed at once without a word; `none`: neither a handshake nor an error (a timeout).
 */
type Outcome = { kind: 'error'; error: Error & { code?: string } } | { kind: 'secure' | 'dropped' | 'none' };

function handshake(host: string, port: number, options: tls.ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    let secure = false;
    const socket = tls.connect({ host, port, ALPNProtocols: ['h2'], ...(isIP(host) ? {} : { servername: host }), ...options });
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: secure ? 'secure' : 'none' }), PROBE_MS);
    socket.on('error', (error) => finish({ kind: 'error', error }));
    socket.on('data', () => finish({ kind: 'secure' }));
    socket.on('close', () => finish({ kind: secure ? 'dropped' : 'none' }));
    socket.once('secureConnect', () => {
      secure = true;
      setTimeout(() => finish({ kind: 'secure' }), SETTLE_MS).unref();
    });
  });
}

/**
 * Probes `host:port` with the client's TLS settings. Returns a sentence naming the mismatch and the
 * setting that fixes it, or null when TLS is not the problem (the server is down, unreachable, or fine).
 */
export async function diagnoseTls(host: string, port: number, options: GrpcClientTlsOptions | false | undefined): Promise<string | null> {
  const at = `${host}:${port}`;
  if (!options) {
    const outcome = await handshake(host, port, { rejectUnauthorized: false });
    if (outcome.kind === 'secure' || outcome.kind === 'dropped') {
      return `TLS mismatch: the server at ${at} requires TLS but this client connects in plaintext; give the client the CA that signed the server's certificate (tls: { ca }, distribute.tls.ca)`;
    }
    return null;
  }
  const outcome = await handshake(host, port, {
    ca: options.ca,
    ...(options.cert ? { cert: options.cert, key: options.key } : {}),
  });
  if (outcome.kind === 'dropped') {
    return `TLS mismatch: the server at ${at} closed the connection right after the TLS handshake: it requires a client certificate (mutual TLS) that this client did not present or that its CA did not sign (tls.cert and tls.key, distribute.tls.cert/.key)`;
  }
  if (outcome.kind !== 'error') return null;
  const { code = '', message } = outcome.error;
  if (UNTRUSTED_SERVER.test(code)) {
    return `TLS mismatch: this client does not trust the certificate of the server at ${at} (${code}: ${message}); its tls.ca (distribute.tls.ca) must be the CA that signed the server's certificate, which must name ${host}`;
  }
  if (NOT_TLS.test(code)) {
    return `TLS mismatch: the server at ${at} does not speak TLS (it is plaintext; ${code}); drop the client's TLS options or start the server with a certificate`;
  }
  if (CLIENT_CERT_REFUSED.test(code)) {
    return `TLS mismatch: the server at ${at} refused this client's certificate (mutual TLS; ${code}); give the client a certificate signed by the server's tls.ca (tls.cert and tls.key)`;
  }
  return null;
}
