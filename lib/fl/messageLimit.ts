/**
 * The size limit of distributed messages (`distribute.maxMessageMiB`), set on both sides of the gRPC link.
 * A run whose adapter cannot cross it fails at start, naming the key, rather than at its first upload.
 */
import { encodeAdapter } from '../comm/adapterFrame.js';
import type { ResolvedOptions } from '../config/index.js';
import { fsllmError } from '../errors/index.js';
import type { AdapterState } from '../native/index.js';

const MiB = 1 << 20;
// A message adds its type, round and training record to the adapter frame: far below this.
const MESSAGE_HEADER_ALLOWANCE = 64 << 10;

/** The largest message, in bytes, that the transports of `o` accept. */
export function maxMessageBytes(o: ResolvedOptions): number {
  return o.distribute.maxMessageMiB * MiB;
}

/**
 * @throws `ERR_FSLLM_CONFIG` when `adapter`, as an fp32 frame (the largest any codec sends), does not fit in
 * `distribute.maxMessageMiB`.
 */
export function checkAdapterFitsMessages(o: ResolvedOptions, adapter: AdapterState): void {
  const bytes = encodeAdapter(adapter).byteLength + MESSAGE_HEADER_ALLOWANCE;
  if (bytes <= maxMessageBytes(o)) return;
  const needed = Math.ceil(bytes / MiB);
  throw fsllmError('ERR_FSLLM_CONFIG', `distribute.maxMessageMiB: this run's adapter takes up to ${needed} MiB in one message, over the limit of ${o.distribute.maxMessageMiB} MiB; set distribute.maxMessageMiB to ${needed} or more on the server and every client`);
}
