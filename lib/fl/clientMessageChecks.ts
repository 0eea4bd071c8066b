/**
 * What the server checks of each message a client sends, one function per message kind, before the message
 * can touch the run's state. A refusal is that client's problem only: the server logs it with
 * `refusalWarning` (naming the client and the reason) and drops the client for the phase.
 */
import { decodeAdapterFrame } from '../comm/codecFrame.js';
import type { Address, ClientMessage, EvalSplit, SplitLoss } from '../comm/messages.js';
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
  const train = trainRecordProblem(msg.train);
  if (train) return { refused: train };
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

/**
 * Evaluation metrics (`metrics`): one entry per split the server asked for, each a loss sum over a token
 * count that a cross-entropy can produce (finite, never negative; nothing summed over no tokens). These
 * numbers drive the best round and early stopping, so a client's wild value must not reach them.
 */
export function checkMetrics(msg: MetricsMessage, asked: readonly EvalSplit[]): Checked<{ global: SplitLoss[]; personal: SplitLoss[] | null }> {
  const global = checkSplitLosses(msg.results, asked, '');
  if (global) return { refused: global };
  if (msg.personal === undefined) return { value: { global: msg.results, personal: null } };
  const personal = checkSplitLosses(msg.personal, asked, 'personal ');
  return personal ? { refused: personal } : { value: { global: msg.results, personal: msg.personal } };
}

/** Why `results` (`which`: '' or 'personal ') is no list of the asked splits' losses, or null. */
function checkSplitLosses(results: unknown, asked: readonly EvalSplit[], which: string): string | null {
  if (!Array.isArray(results)) return `its ${which}results are not a list of split losses`;
  const seen = new Set<unknown>();
  for (const r of results as unknown[]) {
    if (typeof r !== 'object' || r === null) return `a ${which}result is ${String(r)}, not a split loss`;
    const { split, lossSum, tokens } = r as Partial<SplitLoss>;
    if (!asked.includes(split as EvalSplit)) return `it reports ${which}split ${String(split)}, which was not asked for (${asked.join(', ')})`;
    if (seen.has(split)) return `it reports the ${which}${split} split twice`;
    seen.add(split);
    if (!Number.isInteger(tokens) || tokens! < 0) return `its ${which}${split} token count ${String(tokens)} is not a non-negative integer`;
    if (typeof lossSum !== 'number' || !Number.isFinite(lossSum) || lossSum < 0) return `its ${which}${split} loss sum ${String(lossSum)} is not a finite non-negative number`;
    if (tokens === 0 && lossSum !== 0) return `its ${which}${split} loss sum is ${lossSum} over no tokens`;
  }
  return null;
}

/**
 * The training record an update carries (`train`): counts, and a loss that is non-negative when measured
 * (null or NaN say "not measured", e.g. every step skipped; JSON carries NaN as null).
 */
function trainRecordProblem(train: unknown): string | null {
  if (typeof train !== 'object' || train === null) return 'it carries no training record';
  const { loss, steps } = train as Partial<UpdateMessage['train']>;
  if (!Number.isInteger(steps) || steps! < 0) return `its training record's step count ${String(steps)} is not a non-negative integer`;
  const unmeasured = loss === null || Number.isNaN(loss);
  if (!unmeasured && (typeof loss !== 'number' || !Number.isFinite(loss) || loss < 0)) return `its training loss ${String(loss)} is not a finite non-negative number`;
  return null;
}
