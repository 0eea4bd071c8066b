/** What `Model.load` accepts besides the path. */
import type { BaseDtype } from './baseDtype.js';
import type { Device } from './device.js';

export interface LoadModelOptions {
  /** Load this tokenizer instead of the one found beside the weights. */
  tokenizerPath?: string;
  /**
   * Where the weights live and every step runs: 'cpu' (default), 'cuda' (the current GPU) or 'cuda:N'.
   * A device this libtorch build or machine lacks fails with `ERR_FSLLM_UNSUPPORTED`.
   */
  device?: Device;
  /**
   * How the blocks' frozen base weights are stored: 'fp32' (default), 'bf16', 'fp16', 'int8' or 'q4' (see
   * {@link BaseDtype}). Training a LoRA adapter works on each; merging the adapter into the base and
   * `setLayersTrainable` need 'fp32'.
   */
  baseDtype?: BaseDtype;
}
