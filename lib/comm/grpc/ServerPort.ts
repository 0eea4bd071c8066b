/**
 * The TCP port of the gRPC server, owned here rather than by grpc-js so that a client speaking the wrong
 * protocol is refused at once and the refusal is logged (grpc-js drops such connections without a word, and
 * the client then retries for as long as it is told to). Each connection is sorted by its first byte (22
 * opens a TLS handshake); TLS is ended here, so a failed handshake or client certificate is seen; what
 * passes is handed to grpc-js as plaintext HTTP/2 through a connection injector. Calls, ids and tokens are
 * not looked at here.
 */
import * as grpc from '@grpc/grpc-js';
import net from 'node:net';
import tls from 'node:tls';
import { fsllmError } from '../../errors/index.js';
import { clipForLog } from './clipForLog.js';
import type { GrpcServerTlsOptions } from './credentials.js';

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

const TLS_HANDSHAKE_RECORD = 0x16;
/** A gRPC client speaks first; a connection silent for this long is closed. */
const FIRST_BYTE_MS = 10_000;
/**
 * What the plaintext server answers to a TLS ClientHello: bytes that are not a TLS record, so the client's
 * TLS stack fails at once with "wrong version number" (a bare close reads as a network fault, retried).
 */
const NOT_TLS_ANSWER = Buffer.from('fsllm: this gRPC server does not use TLS\n');

const peerOf = (socket: net.Socket) => `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

/** Why a TLS handshake failed, in words that point at the setting to fix. */
function handshakeReason(error: Error & { code?: string }): string {
  const code = error.code ?? '';
  const raw = `${code ? `${code}: ` : ''}${clipForLog(error.message.trim(), 160)}`;
  if (/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN/.test(code)) {
    return `the client does not trust this server's certificate; its tls.ca (distribute.tls.ca) must be the CA that signed it (${raw})`;
  }
  if (/WRONG_VERSION_NUMBER|HTTP_REQUEST|PACKET_LENGTH/.test(code)) return `the client did not speak TLS (${raw})`;
  if (code === 'ECONNRESET') {
    return `the client closed the connection during the handshake, most often because it does not trust this server's certificate (its tls.ca, distribute.tls.ca, must be the CA that signed it) (${raw})`;
  }
  return raw;
}

/**
 * The gRPC server's listening socket: sorts, refuses (logged) or hands over each connection.
 * @example
 * const port = await ServerPort.listen(grpcServer, '0.0.0.0', 50051, { cert, key }, log);
 */
export class ServerPort {
  readonly #net: net.Server;
  readonly #tls: GrpcServerTlsOptions | null;
  readonly #injector: grpc.ConnectionInjector;
  readonly #log: Log;
  /** Sockets not yet handed to grpc-js (being sorted, or in their TLS handshake), by peer: closed on close(). */
  readonly #pending = new Map<string, net.Socket>();

  private constructor(server: grpc.Server, tlsOptions: GrpcServerTlsOptions | undefined, log: Log) {
    this.#log = log;
    this.#injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    this.#tls = tlsOptions ?? null;
    this.#net = net.createServer((socket) => this.#sort(socket));
  }

  /**
   * Listens on `host:port` (port 0 picks a free one) and serves `server`'s services there.
   * @throws `ERR_FSLLM_INVALID_ARG` (rejects) for TLS options that cannot make a TLS context;
   *   `ERR_FSLLM_PROTOCOL` (rejects) when the port cannot be bound.
   */
  static async listen(server: grpc.Server, host: string, port: number, tlsOptions: GrpcServerTlsOptions | undefined, log: Log): Promise<ServerPort> {
    // Checked here, once: a certificate that cannot be used must stop the start, not each connection later.
    if (tlsOptions) {
      try {
        tls.createSecureContext({ cert: tlsOptions.cert, key: tlsOptions.key, ...(tlsOptions.ca ? { ca: tlsOptions.ca } : {}) });
      } catch (error) {
        throw fsllmError('ERR_FSLLM_INVALID_ARG', `tls: the certificate, key or CA cannot be used (${(error as Error).message}); give PEM data, with the key that belongs to the certificate`, { cause: error });
      }
    }
    const gate = new ServerPort(server, tlsOptions, log);
    await new Promise<void>((resolve, reject) => {
      gate.#net.once('error', (error) => reject(fsllmError('ERR_FSLLM_PROTOCOL', `Cannot listen on ${host}:${port}: ${error.message}`, { cause: error })));
      gate.#net.listen({ host, port }, resolve);
    });
    return gate;
  }

  get port(): number {
    return (this.#net.address() as net.AddressInfo).port;
  }

  /** Stops accepting and closes connections not yet handed to grpc-js (grpc-js closes its own). */
  close(): void {
    this.#net.close();
    for (const socket of this.#pending.values()) socket.destroy();
    this.#pending.clear();
  }

  /**
   * Ends TLS on one connection. A TLS server per connection lets its events name the peer: by the time a
   * handshake fails, the socket can no longer tell its address. (Node's TLS server builds its context from
   * cert/key itself and ignores a shared `secureContext`; a context costs about a millisecond.)
   */
  #handshake(socket: net.Socket, peer: string): void {
    const { cert, key, ca, requireClientCert: requireCert = false } = this.#tls!;
    // rejectUnauthorized stays off: Node would then drop an untrusted client certificate silently after the
    // handshake; the check is made in 'secureConnection' instead, where the refusal can be logged.
    const server = tls.createServer({ cert, key, ...(ca ? { ca } : {}), requestCert: requireCert, rejectUnauthorized: false, ALPNProtocols: ['h2'], handshakeTimeout: FIRST_BYTE_MS });
    server.on('secureConnection', (secure: tls.TLSSocket) => {
      this.#pending.delete(peer);
      if (requireCert && !secure.authorized) {
        this.#log('warn', `Refused a TLS connection from ${peer}: its client certificate is missing or not signed by this server's tls.ca (${String(secure.authorizationError)})`);
        secure.destroy();
        return;
      }
      this.#injector.injectConnection(secure);
    });
    server.on('tlsClientError', (error: Error) => {
      this.#pending.delete(peer);
      this.#log('warn', `Refused a TLS handshake from ${peer}: ${handshakeReason(error)}`);
    });
    server.emit('connection', socket);
  }

  #sort(socket: net.Socket): void {
    const peer = peerOf(socket);
    this.#pending.set(peer, socket);
    socket.on('error', () => {}); // a peer that resets mid-sort is not our failure; 'close' cleans up
    socket.once('close', () => {
      if (this.#pending.get(peer) === socket) this.#pending.delete(peer);
    });
    socket.setTimeout(FIRST_BYTE_MS, () => socket.destroy());
    socket.once('data', (head: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head); // the TLS or HTTP/2 stack reads the connection from its first byte
      const hello = head[0] === TLS_HANDSHAKE_RECORD;
      if (this.#tls && !hello) {
        this.#log('warn', `Refused a plaintext connection from ${peer}: this server requires TLS (give the client the server's CA: tls: { ca }, distribute.tls.ca)`);
        socket.destroy();
      } else if (!this.#tls && hello) {
        this.#log('warn', `Refused a TLS connection from ${peer}: this server is plaintext (drop the client's TLS options, or start the server with a certificate)`);
        socket.end(NOT_TLS_ANSWER);
      } else if (this.#tls) {
        this.#handshake(socket, peer);
      } else {
        this.#pending.delete(peer);
        this.#injector.injectConnection(socket);
      }
    });
  }
}
