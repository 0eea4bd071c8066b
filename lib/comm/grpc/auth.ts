/**
 * Client authentication of the gRPC transport: a client names itself (`x-fsllm-client`) and proves it with
 * a shared token (`x-fsllm-token`). Tokens are compared in constant time on their sha256.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { invalidArg } from '../../errors/index.js';
import { clipForLog } from './clipForLog.js';
import { CLIENT_ID_KEY, TOKEN_KEY } from './service.js';

/** Client id → token. `null` means no tokens are configured: any positive integer id is accepted. */
export type TokenTable = ReadonlyMap<number, string> | null;

/** Normalises the `tokens` option (a Map or a record keyed by decimal id). @throws `ERR_FSLLM_INVALID_ARG`. */
export function tokenTable(tokens: ReadonlyMap<number, string> | Record<string, string> | undefined): TokenTable {
  if (tokens === undefined) return null;
  const entries = tokens instanceof Map ? [...tokens.entries()] : Object.entries(tokens as Record<string, string>);
  const table = new Map<number, string>();
  for (const [key, token] of entries) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 1) throw invalidArg('tokens', 'client ids that are positive integers', key);
    if (typeof token !== 'string' || token.length === 0) throw invalidArg(`tokens[${id}]`, 'non-empty string', token);
    table.set(id, token);
  }
  return table;
}

/** A refusal's `id` and `reason` are clipped (clipForLog): the peer chose the id, and they end up in logs. */
export type AuthResult = { ok: true; id: number } | { ok: false; id: string; reason: string };

function sameToken(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Checks a call's metadata against the table. */
export function authenticate(metadata: grpc.Metadata, table: TokenTable): AuthResult {
  const rawId = String(metadata.get(CLIENT_ID_KEY)[0] ?? '');
  const token = String(metadata.get(TOKEN_KEY)[0] ?? '');
  const id = Number(rawId);
  const shown = clipForLog(rawId);
  if (!/^[1-9][0-9]*$/.test(rawId) || !Number.isSafeInteger(id)) return { ok: false, id: shown, reason: `client id ${JSON.stringify(shown)} is not a positive integer` };
  if (table === null) return { ok: true, id };
  const expected = table.get(id);
  if (expected === undefined) return { ok: false, id: shown, reason: `client ${shown} is unknown` };
  if (!sameToken(token, expected)) return { ok: false, id: shown, reason: `client ${id} sent a wrong token` };
  return { ok: true, id };
}
