/**
 * Run checkpoints: `<out>/checkpoints/round-NNNNN/` holds the global adapter (PEFT format), `state.json`
 * (server state, client cursors) and `clients.safetensors` (client optimizer moments, per-client adapters
 * of the local scenario, error-feedback residuals: `residual.server` for the broadcast, `residual.<id>` for
 * each client's uploads, the aggregator's state as `aggregator.<name>`: a server optimiser's moments, and the
 * clients' own adapters of personalised FL as `clientPersonal.<id>`). Client states are saved for clients in this process and in child processes (a
 * child sends its state to the parent with every update), so resume is bit-identical there, errorFeedback
 * included. Clients on other machines (distributed mode) keep theirs in memory, since they outlive a server
 * restart; the server's residual is saved in every mode. `<out>/checkpoint.json` names the newest complete
 * one and is replaced atomically after the folder is fully written, so a crash at any moment leaves a
 * loadable checkpoint.
 */
import { readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fsllmError } from '../errors/index.js';
import { writeSafetensors } from '../formats/index.js';
import type { ModelConfig } from '../formats/types.js';
import { readSafetensorsF32 } from '../native/readTensors.js';
import type { AdapterState } from '../native/adapterState.js';
import { writeAdapterFiles, type AdapterFileConfig } from '../native/peftAdapter.js';
import { atomicWrite } from '../util/atomicWrite.js';
import type { ClientSnapshot } from './Client.js';
import type { ServerSnapshot } from './Server.js';

const POINTER = 'checkpoint.json';

export interface RunCheckpoint {
  round: number;
  server: ServerSnapshot;
  /** Folder of the global adapter in PEFT format. */
  adapterDir: string;
  clients: Map<number, ClientSnapshot>;
  personal: Map<number, Float32Array>;
  /** The server's broadcast residual (undefined without errorFeedback and in older checkpoints). */
  serverResidual: Float32Array | undefined;
  /** The aggregator's state (empty for a stateless one). */
  aggregatorState: Record<string, Float32Array>;
  /** The options fingerprint of the run that wrote it (resuming with other options is refused). */
  fingerprint: string;
}

export interface CheckpointInput {
  server: ServerSnapshot;
  global: AdapterState;
  personal: ReadonlyMap<number, Float32Array>;
  serverResidual: Float32Array | undefined;
  aggregatorState: Record<string, Float32Array>;
  clients: ReadonlyMap<number, ClientSnapshot>;
  /** The global adapter's file configuration (peftAdapter's adapterFileConfig). */
  adapter: AdapterFileConfig;
  model: ModelConfig;
  baseModel: string | null;
  fingerprint: string;
}

/** Writes the checkpoint of `input.server.round` and makes it the current one. Returns its folder. */
export async function writeCheckpoint(outDir: string, input: CheckpointInput): Promise<string> {
  const round = input.server.round;
  const relative = path.join('checkpoints', `round-${String(round).padStart(5, '0')}`);
  const dir = path.join(outDir, relative);
  await rm(dir, { recursive: true, force: true });
  await writeAdapterFiles(path.join(dir, 'adapter'), input.global, input.adapter, input.model, input.baseModel);
  const tensors: { name: string; dtype: 'f32'; shape: number[]; data: Float32Array }[] = [];
  const add = (name: string, data: Float32Array | null | undefined) => {
    if (data) tensors.push({ name, dtype: 'f32', shape: [data.length], data });
  };
  const clients: Record<string, { cursor: ClientSnapshot['cursor'] }> = {};
  for (const [id, snap] of input.clients) {
    clients[id] = { cursor: snap.cursor };
    add(`optimizer.${id}`, snap.optimizer);
    add(`residual.${id}`, snap.residual);
    add(`clientPersonal.${id}`, snap.personal);
  }
  for (const [id, data] of input.personal) add(`personal.${id}`, data);
  add('residual.server', input.serverResidual);
  for (const [name, data] of Object.entries(input.aggregatorState)) add(`aggregator.${name}`, data);
  await writeSafetensors(path.join(dir, 'clients.safetensors'), tensors, { format: 'pt' });
  const state = { round, server: input.server, clients, fingerprint: input.fingerprint };
  await atomicWrite(path.join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  const previous = await currentPointer(outDir);
  await atomicWrite(path.join(outDir, POINTER), `${JSON.stringify({ round, dir: relative })}\n`);
  if (previous && previous.dir !== relative) await rm(path.join(outDir, previous.dir), { recursive: true, force: true });
  return dir;
}

/** The current checkpoint of `outDir`, or null when there is none. */
export async function readCheckpoint(outDir: string): Promise<RunCheckpoint | null> {
  const pointer = await currentPointer(outDir);
  if (!pointer) return null;
  const dir = path.join(outDir, pointer.dir);
  const statePath = path.join(dir, 'state.json');
  let state: { round: number; server: ServerSnapshot; clients: Record<string, { cursor: ClientSnapshot['cursor'] }>; fingerprint: string };
  try {
    state = JSON.parse(await readFile(statePath, 'utf8'));
  } catch (cause) {
    throw fsllmError('ERR_FSLLM_CHECKPOINT', `${statePath}: cannot read the run checkpoint (${(cause as Error).message})`, { cause, path: statePath });
  }
  const stored = await readSafetensorsF32(path.join(dir, 'clients.safetensors'));
  const decoded = Object.fromEntries(stored.map((t) => [t.name, t.data]));
  const clients = new Map<number, ClientSnapshot>();
  for (const [id, c] of Object.entries(state.clients)) {
    const residual = decoded[`residual.${id}`];
    const own = decoded[`clientPersonal.${id}`];
    clients.set(Number(id), { cursor: c.cursor, optimizer: decoded[`optimizer.${id}`] ?? null, ...(residual ? { residual } : {}), ...(own ? { personal: own } : {}) });
  }
  const personal = new Map<number, Float32Array>();
  const aggregatorState: Record<string, Float32Array> = {};
  for (const [name, data] of Object.entries(decoded)) {
    if (name.startsWith('personal.')) personal.set(Number(name.slice(9)), data);
    else if (name.startsWith('aggregator.')) aggregatorState[name.slice(11)] = data;
  }
  const serverResidual = decoded['residual.server'];
  return { round: state.round, server: state.server, adapterDir: path.join(dir, 'adapter'), clients, personal, serverResidual, aggregatorState, fingerprint: state.fingerprint };
}

async function currentPointer(outDir: string): Promise<{ round: number; dir: string } | null> {
  const file = path.join(outDir, POINTER);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { round: number; dir: string };
  } catch (cause) {
    throw fsllmError('ERR_FSLLM_CHECKPOINT', `${file}: unreadable checkpoint pointer (${(cause as Error).message})`, { cause, path: file });
  }
}
