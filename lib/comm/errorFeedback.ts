/**
 * Error feedback (Seide et al. 2014; EF-SGD, Karimireddy et al. 2019) for one sender: what quantisation
 * dropped this round is added to the next round's values, so the receiver's running sum does not drift.
 * Keep one per direction and peer (e.g. per client upload); the residual is local state, never sent.
 */
import type { AdapterState } from '../native/adapterState.js';
import { type CodecOptions, resolveCodecOptions } from './codec.js';
import { encodeAdapterWith } from './codecs.js';

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

  /** Drops the residual (e.g. when the adapter is re-initialised). */
  reset(): void {
    this.#residual = undefined;
  }
}
