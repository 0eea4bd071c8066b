// Shared helpers of the gRPC transport tests (no suites here).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AnyMessage } from '../../lib/comm/messages.js';
import type { GrpcLog, GrpcLogLevel } from '../../lib/comm/grpc/index.js';

/** Polls `check` every 10 ms until it is true; throws after `ms`. */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A log that keeps its lines. */
export function memoryLog(): GrpcLog & { lines: Array<[GrpcLogLevel, string]> } {
  const lines: Array<[GrpcLogLevel, string]> = [];
  return Object.assign((level: GrpcLogLevel, message: string) => void lines.push([level, message]), { lines });
}

export const adapter = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** One message of every type, from the server and from client `id`. */
export function serverMessages(): AnyMessage[] {
  return [
    { type: 'modelPara', round: 1, adapter: adapter(1000) },
    { type: 'evaluate', round: 2, adapter: adapter(10), splits: ['val', 'test'] },
    { type: 'finish', round: 3, adapter: adapter(0) },
  ];
}

export function clientMessages(id: number): AnyMessage[] {
  return [
    { type: 'join', clientId: id, trainSamples: 40 + id },
    { type: 'modelPara', round: 1, sampleSize: 12, adapter: adapter(3000), train: { loss: 1.5, steps: 4, targetTokens: 900, msPerStep: 12.5 } },
    { type: 'metrics', round: 1, results: [{ split: 'val', lossSum: 12.25, tokens: 100 }] },
  ];
}

/** Compares messages field by field, adapters by bytes. */
export function sameMessage(a: AnyMessage, b: AnyMessage): boolean {
  const { adapter: aa, ...ra } = a as AnyMessage & { adapter?: Uint8Array };
  const { adapter: ab, ...rb } = b as AnyMessage & { adapter?: Uint8Array };
  if (JSON.stringify(ra) !== JSON.stringify(rb)) return false;
  if (!aa || !ab) return aa === ab;
  return Buffer.compare(Buffer.from(aa.buffer, aa.byteOffset, aa.byteLength), Buffer.from(ab.buffer, ab.byteOffset, ab.byteLength)) === 0;
}

/** A self-signed certificate for localhost and 127.0.0.1 (openssl), written to `dir` as `<name>.crt/.key`. */
export function makeCert(dir: string, name: string): { cert: Buffer; key: Buffer; certPath: string } {
  const certPath = path.join(dir, `${name}.crt`);
  const keyPath = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
  return { cert: readFileSync(certPath), key: readFileSync(keyPath), certPath };
}
