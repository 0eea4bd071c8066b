/**
 * Error feedback (Seide et al. 2014; EF-SGD, Karimireddy et al. 2019) for one sender: what quantisation
 * dropped this round is added to the next round's values, so the receiver's running sum does not drift.
 * Keep one per direction and peer (e.g. per client upload); the residual is local state, never sent.
 */
import type { AdapterState } from '../native/adapterState.js';
import { type CodecOptions, resolveCodecOptions } from './codecOptions.js';
import { encodeAdapter } from './adapterFrame.js';
import { encodeAdapterWith } from './codecFrame.js';

export class ErrorFeedbackEncoder {
  readonly options: CodecOptions;
  #residual: Float32Array | undefined;

  constructor(options: CodecOptions) {
    this.options = { ...resolveCodecOptions(options), errorFeedback: true };
  }

  /** The residual carried to the next `encode` (undefined before the first). */
  get residual(): Float32Array | undefined {
    return this.#residual;
  }

  /** Encodes `state` plus the carried residual; keeps the new residual. A change of buffer length resets it. */
  async encode(state: AdapterState): Promise<Uint8Array> {
    const carried = this.#residual?.length === state.data.length ? this.#residual : undefined;
    const { frame, residual } = await encodeAdapterWith(state, this.options, carried);
    this.#residual = residual;
    return frame;
  }

  /**
   * Continues from a checkpointed residual (undefined: start empty). One of another length is dropped at the
   * next `encode`, as any length change is.
   */
  restore(residual: Float32Array | undefined): void {
    this.#residual = residual;
  }

  /** Drops the residual (e.g. when the adapter is re-initialised). */
  reset(): void {
    this.#residual = undefined;
  }
}

/**
 * The wire frame of `state`: plain fp32 without a codec, else the codec's frame, carrying `feedback`'s
 * residual when one is given (senders keep one encoder per stream they feed).
 */
export async function encodeForWire(state: AdapterState, codec: CodecOptions | undefined, feedback: ErrorFeedbackEncoder | null = null): Promise<Uint8Array> {
  if (!codec) return encodeAdapter(state);
  if (feedback) return feedback.encode(state);
  return (await encodeAdapterWith(state, { ...codec, errorFeedback: false })).frame;
}
