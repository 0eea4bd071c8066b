/**
 * What the server checks of each message a client sends, one function per message kind, before the message
 * can touch the run's state. A refusal is that client's problem only: the server logs it with
 * `refusalWarning` (naming the client and the reason) and drops the client for the phase.
 */
import { decodeAdapterFrame } from '../comm/codecFrame.js';
import type { Address, ClientMessage, SplitLoss } from '../comm/messages.js';
import type { AdapterState } from '../native/index.js';
import { isPartOf } from './adapterParts.js';

/** A checked value, or why the message was refused. */
export type Checked<T> = { value: T } | { refused: string };

export type UpdateMessage = Extract<ClientMessage, { type: 'modelPara' }>;
export type MetricsMessage = Extract<ClientMessage, { type: 'metrics' }>;

/** The warning logged for a refused message. */
export function refusalWarning(from: Address, type: unknown, reason: string): string {
  return `Dropped a ${String(type)} message from client ${String(from)}: ${reason}`;
}

/** Every message must come from a client (a numeric address). */
export function checkSender(from: Address): Checked<number> {
  return typeof from === 'number' ? { value: from } : { refused: 'it does not come from a client' };
}

/**
 * An update (`modelPara`): a bounded frame, a positive sample count, and an adapter that decodes to the global
 * adapter's tensors and shapes (or to a part of them: closed-model tuning) with finite values only.
 * @returns The decoded adapter.
 */
export async function checkUpdate(msg: UpdateMessage, global: AdapterState): Promise<Checked<AdapterState>> {
  // Generous: an fp32 frame is the adapter plus a header, so a frame far beyond that is no adapter.
  const limit = 8 * global.data.byteLength + (1 << 20);
  if (!(msg.adapter instanceof Uint8Array)) return { refused: 'it carries no adapter' };
  if (msg.adapter.byteLength > limit) return { refused: `its adapter has ${msg.adapter.byteLength} bytes, over the limit of ${limit}` };
  if (!Number.isInteger(msg.sampleSize) || msg.sampleSize < 1 || msg.sampleSize > 1e9) {
    return { refused: `its sample size ${String(msg.sampleSize)} is not a positive integer` };
  }
  let state: AdapterState;
  try {
    state = await decodeAdapterFrame(msg.adapter);
  } catch (error) {
    return { refused: (error as Error).message };
  }
  const whole = state.data.length === global.data.length && JSON.stringify(state.manifest) === JSON.stringify(global.manifest);
  if (!whole && !isPartOf(state.manifest, global.manifest)) {
    return { refused: `its ${state.data.length} values (${state.manifest.length} tensors) are not the global adapter's tensors and shapes` };
  }
  for (let i = 0; i < state.data.length; i++) if (!Number.isFinite(state.data[i]!)) return { refused: `value ${i} is ${state.data[i]} (not finite)` };
  return { value: state };
}

/** Evaluation metrics (`metrics`): a list of split losses. */
export function checkMetrics(msg: MetricsMessage): Checked<SplitLoss[]> {
  return Array.isArray(msg.results) ? { value: msg.results } : { refused: 'its results are not a list of split losses' };
}
