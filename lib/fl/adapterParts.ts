/**
 * Parts of an adapter: in closed-model tuning a client trains and uploads only its adapter layers' tensors,
 * so an upload may be a subset of the global adapter's tensors, packed into its own flat buffer.
 */
import { sliceOf, type AdapterState } from '../native/index.js';

type Manifest = AdapterState['manifest'];

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The tensors of `state` named in `names`, packed into a new flat buffer. */
export function partOf(state: AdapterState, names: ReadonlySet<string>): AdapterState {
  const entries = state.manifest.filter((e) => names.has(e.name));
  const data = new Float32Array(entries.reduce((n, e) => n + sizeOf(e.shape), 0));
  let offset = 0;
  const manifest = entries.map((e) => {
    const values = sliceOf(state, e);
    data.set(values, offset);
    const moved = { ...e, offset };
    offset += values.length;
    return moved;
  });
  return { data, manifest };
}

/** True when `part` names some of `whole`'s tensors, each once and with its shape. */
export function isPartOf(part: Manifest, whole: Manifest): boolean {
  const byName = new Map(whole.map((e) => [e.name, e]));
  const names = new Set(part.map((e) => e.name));
  return part.length > 0 && names.size === part.length &&
    part.every((e) => JSON.stringify(byName.get(e.name)?.shape) === JSON.stringify(e.shape));
}

/**
 * `base` (laid out as `whole`) with the tensors of `part` written over it, as a new buffer. A part as long
 * as `base` is the whole adapter, copied as it is.
 */
export function withPart(base: Float32Array, whole: Manifest, part: AdapterState): Float32Array {
  if (part.data.length === base.length) return part.data.slice();
  const out = base.slice();
  const byName = new Map(whole.map((e) => [e.name, e]));
  for (const e of part.manifest) out.set(sliceOf(part, e), byName.get(e.name)!.offset);
  return out;
}
