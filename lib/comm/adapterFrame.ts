/**
 * The wire form of an adapter: magic `FSAD`, a u32 header length, a JSON header (codec, tensor names,
 * shapes, offsets), zero padding to 4 bytes, then the fp32 values little-endian. Decoding returns views
 * into the frame (no copy) when it is aligned.
 */
import { fsllmError } from '../errors/index.js';
import type { AdapterState, ManifestEntry } from '../native/index.js';

const MAGIC = 0x44415346; // 'FSAD' read as a little-endian u32

interface FrameHeader {
  codec: 'fp32';
  length: number;
  tensors: ManifestEntry[];
}

/** Encodes `state` as one frame. */
export function encodeAdapter(state: AdapterState): Uint8Array {
  const header: FrameHeader = { codec: 'fp32', length: state.data.length, tensors: state.manifest };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataAt = align4(8 + json.length);
  const frame = new Uint8Array(dataAt + state.data.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  frame.set(json, 8);
  frame.set(new Uint8Array(state.data.buffer, state.data.byteOffset, state.data.byteLength), dataAt);
  return frame;
}

/**
 * Decodes a frame made by `encodeAdapter`.
 * @throws `ERR_FSLLM_PROTOCOL` when the bytes are not a complete, consistent frame.
 */
export function decodeAdapter(frame: Uint8Array): AdapterState {
  const bad = (why: string) => fsllmError('ERR_FSLLM_PROTOCOL', `Malformed adapter frame: ${why}`);
  if (frame.byteLength < 8) throw bad(`${frame.byteLength} bytes is shorter than the 8-byte preamble`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw bad('it does not start with FSAD');
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > frame.byteLength) throw bad('the header runs past the end');
  let header: FrameHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(frame.subarray(8, 8 + headerLength))) as FrameHeader;
  } catch (cause) {
    throw bad(`the header is not JSON (${(cause as Error).message})`);
  }
  if (header.codec !== 'fp32') throw bad(`unknown codec ${JSON.stringify(header.codec)}`);
  const dataAt = align4(8 + headerLength);
  const length = header.length;
  if (!Number.isInteger(length) || length < 0 || dataAt + 4 * length !== frame.byteLength) {
    throw bad(`it holds ${frame.byteLength - dataAt} value bytes but the header says ${length} fp32 values`);
  }
  for (const t of header.tensors ?? []) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(t.offset) || t.offset < 0 || t.offset + size > length) throw bad(`tensor ${t.name} lies outside the values`);
  }
  const start = frame.byteOffset + dataAt;
  const data = start % 4 === 0
    ? new Float32Array(frame.buffer, start, length)
    : new Float32Array(frame.slice(dataAt).buffer);
  return { data, manifest: header.tensors ?? [] };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
