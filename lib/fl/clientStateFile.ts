/**
 * A distributed client's own checkpoint. Its state (data cursor, optimizer moments, error-feedback residual,
 * personal adapter) never leaves its machine, so the server's checkpoint cannot hold it: the client writes
 * it after each upload to `<output.dir>/client-state/client-<id>.safetensors` on its side (atomically: a
 * crash leaves the previous file), and reads it back when it starts again with `--resume`.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fsllmError } from '../errors/index.js';
import { readSafetensors, writeSafetensors } from '../formats/index.js';
import type { ClientSnapshot } from './Client.js';

const TENSORS = ['optimizer', 'residual', 'personal'] as const;

export function clientStateFile(outputDir: string, clientId: number): string {
  return path.join(outputDir, 'client-state', `client-${clientId}.safetensors`);
}

export async function writeClientState(file: string, snapshot: ClientSnapshot): Promise<void> {
  const tensors = TENSORS.flatMap((name) => {
    const data = snapshot[name];
    return data ? [{ name, dtype: 'f32' as const, shape: [data.length], data }] : [];
  });
  await mkdir(path.dirname(file), { recursive: true });
  await writeSafetensors(file, tensors, { cursor: JSON.stringify(snapshot.cursor) });
}

/** The state in `file`, or null when there is none. @throws `ERR_FSLLM_CHECKPOINT` when it cannot be read. */
export async function readClientState(file: string): Promise<ClientSnapshot | null> {
  if (!existsSync(file)) return null;
  const { metadata, tensors: stored } = await readSafetensors(file);
  let cursor: ClientSnapshot['cursor'];
  try {
    cursor = JSON.parse(metadata.cursor ?? '');
  } catch (cause) {
    throw fsllmError('ERR_FSLLM_CHECKPOINT', `${file}: the client state has no readable data cursor; remove the file to start this client afresh`, { cause, path: file });
  }
  const tensors = Object.fromEntries(stored.map((t) => [t.name, t.data as Float32Array]));
  return {
    cursor,
    optimizer: tensors.optimizer ?? null,
    ...(tensors.residual ? { residual: tensors.residual } : {}),
    ...(tensors.personal ? { personal: tensors.personal } : {}),
  };
}
