/**
 * Adapter frames with per-tensor codecs, optional compression and an integrity check (issue: "codecs that
 * cut bytes 8×"). Version 2 of the adapter frame; version 1 (`encodeAdapter`, fp32 only) still decodes.
 *
 * Layout (little-endian):
 * ```
 * 0      u32  magic 'FSA2'
 * 4      u32  header length H
 * 8      H    JSON header (FrameHeaderV2), then zero padding to 4 bytes
 * P      ...  payload: the tensors' encoded bytes (each at a 4-aligned byteOffset), compressed as a whole
 *             when header.compression is not 'none'
 * end−4  u32  CRC-32 (zlib polynomial) of every byte before it
 * ```
 * Each tensor records name, shape, offset and length in the flat buffer, codec, groupSize and its
 * byteOffset/byteLength in the *uncompressed* payload, so one frame can mix codecs. Values the manifest does
 * not cover are sent as unnamed entries, so decoding restores the whole buffer.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';

import { fsllmError, invalidArg } from '../errors/index.js';
import { codecDecode, codecEncode, type RawCodecTask } from '../native/codecKernels.js';
import type { AdapterState, ManifestEntry } from '../native/index.js';
import { decodeAdapter } from './adapterFrame.js';
import { CODEC_NAMES, COMPRESSIONS, type CodecName, type CodecOptions, type Compression, encodedBytes, isGrouped, resolveCodecOptions } from './codecOptions.js';

const MAGIC_V1 = 0x44415346; // 'FSAD'
const MAGIC_V2 = 0x32415346; // 'FSA2'

const deflate = promisify(zlib.deflate);
/** Top bit of the header-length word: the header is DEFLATE-compressed (frames with compression on). */
const HEADER_DEFLATED = 0x80000000;
const gzip = promisify(zlib.gzip);
const inflate = promisify(zlib.inflate);
const gunzip = promisify(zlib.gunzip);

/** One run of values in a v2 frame. `name`/`shape` are absent for values outside the manifest. */
export interface FrameTensor {
  name?: string;
  shape?: number[];
  offset: number;
  length: number;
  codec: CodecName;
  groupSize?: number;
  byteOffset: number;
  byteLength: number;
}

export interface FrameHeaderV2 {
  version: 2;
  /** Values in the flat buffer. */
  length: number;
  compression: Compression;
  /** Payload bytes before compression. */
  rawBytes: number;
  tensors: FrameTensor[];
}

export interface EncodedAdapter {
  frame: Uint8Array;
  /** The new error-feedback residual (only with `errorFeedback: true`); pass it to the next call. */
  residual?: Float32Array;
}

/**
 * Encodes `state` under `options`. With `errorFeedback`, `residual` (same length as `state.data`; zeros when
 * omitted) is added before quantising and the new residual `(x + residual) − decoded` is returned; the
 * caller's arrays are not modified. Quantisation runs natively off the JS thread, compression on libuv's pool.
 * @throws `ERR_FSLLM_INVALID_ARG` for bad options, a manifest outside the buffer, or values the codec cannot
 *   hold (non-finite; beyond fp16 range).
 */
export async function encodeAdapterWith(state: AdapterState, options: CodecOptions, residual?: Float32Array): Promise<EncodedAdapter> {
  const opts = resolveCodecOptions(options);
  if (!(state?.data instanceof Float32Array)) throw invalidArg('state.data', 'a Float32Array', state?.data);
  const n = state.data.length;
  if (residual !== undefined) {
    if (!opts.errorFeedback) throw invalidArg('residual', 'undefined unless options.errorFeedback is true', residual);
    if (!(residual instanceof Float32Array) || residual.length !== n) {
      throw invalidArg('residual', `a Float32Array of ${n} values (the one the previous call returned)`, residual);
    }
  }
  const newResidual = opts.errorFeedback ? (residual ? residual.slice() : new Float32Array(n)) : undefined;

  const tensors: FrameTensor[] = [];
  let rawBytes = 0;
  for (const run of runsOf(state)) {
    const codec: CodecName = run.length < opts.fp32Below ? 'fp32' : opts.codec;
    const byteLength = encodedBytes(codec, run.length, opts.groupSize);
    tensors.push({
      ...(run.entry ? { name: run.entry.name, shape: run.entry.shape } : {}),
      offset: run.offset,
      length: run.length,
      codec,
      ...(isGrouped(codec) ? { groupSize: opts.groupSize } : {}),
      byteOffset: rawBytes,
      byteLength,
    });
    rawBytes = align4(rawBytes + byteLength);
  }
  const raw = new Uint8Array(rawBytes);
  const tasks: RawCodecTask[] = tensors.map((t) => ({
    codec: t.codec,
    groupSize: t.groupSize ?? 1,
    values: state.data.subarray(t.offset, t.offset + t.length),
    bytes: raw.subarray(t.byteOffset, t.byteOffset + t.byteLength),
    ...(newResidual ? { residual: newResidual.subarray(t.offset, t.offset + t.length) } : {}),
  }));
  await codecEncode(tasks);
  const payload = opts.compression === 'deflate' ? await deflate(raw) : opts.compression === 'gzip' ? await gzip(raw) : raw;

  const header: FrameHeaderV2 = { version: 2, length: n, compression: opts.compression, rawBytes, tensors };
  // With compression on, the header is deflated too: for many small tensors its names outweigh the values.
  const plain = new TextEncoder().encode(JSON.stringify(header));
  const json = opts.compression === 'none' ? plain : new Uint8Array(await deflate(plain));
  const payloadAt = align4(8 + json.length);
  const frame = new Uint8Array(payloadAt + payload.byteLength + 4);
  const view = new DataView(frame.buffer);
  view.setUint32(0, MAGIC_V2, true);
  view.setUint32(4, (json.length | (opts.compression === 'none' ? 0 : HEADER_DEFLATED)) >>> 0, true);
  frame.set(json, 8);
  frame.set(payload, payloadAt);
  view.setUint32(frame.length - 4, zlib.crc32(frame.subarray(0, frame.length - 4)), true);
  return newResidual ? { frame, residual: newResidual } : { frame };
}

/**
 * Decodes a frame from `encodeAdapterWith` (v2) or `encodeAdapter` (v1, fp32). The result owns its buffer.
 * @throws `ERR_FSLLM_PROTOCOL` when the bytes are truncated, corrupted (CRC mismatch), or inconsistent.
 */
export async function decodeAdapterFrame(frame: Uint8Array): Promise<AdapterState> {
  if (!(frame instanceof Uint8Array)) throw invalidArg('frame', 'a Uint8Array', frame);
  if (frame.byteLength < 8) throw bad(`${frame.byteLength} bytes is shorter than the 8-byte preamble`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const magic = view.getUint32(0, true);
  if (magic === MAGIC_V1) return decodeAdapter(frame);
  if (magic !== MAGIC_V2) throw bad('it starts with neither FSAD nor FSA2');
  if (frame.byteLength < 12) throw bad('it is truncated before the checksum');
  const crcAt = frame.byteLength - 4;
  const expected = view.getUint32(crcAt, true);
  const actual = zlib.crc32(frame.subarray(0, crcAt));
  if (expected !== actual) throw bad(`integrity check failed (CRC-32 ${hex(actual)} but the frame says ${hex(expected)}): corrupted or truncated`);
  const lengthWord = view.getUint32(4, true);
  const headerLength = lengthWord & ~HEADER_DEFLATED;
  if (8 + headerLength > crcAt) throw bad('the header runs past the end');
  let header: FrameHeaderV2;
  try {
    const stored = frame.subarray(8, 8 + headerLength);
    const text = lengthWord & HEADER_DEFLATED ? await inflate(stored, { maxOutputLength: 64 << 20 }) : stored;
    header = JSON.parse(new TextDecoder().decode(text)) as FrameHeaderV2;
  } catch (cause) {
    throw bad(`the header is not JSON (${(cause as Error).message})`);
  }
  checkHeader(header);
  const payloadAt = align4(8 + headerLength);
  if (payloadAt > crcAt) throw bad('the payload starts past the end');
  const payload = frame.subarray(payloadAt, crcAt);
  let raw: Uint8Array;
  if (header.compression === 'none') {
    raw = payload;
  } else {
    try {
      const unzip = header.compression === 'deflate' ? inflate : gunzip;
      raw = await unzip(payload, { maxOutputLength: Math.max(1, header.rawBytes) });
    } catch (cause) {
      throw bad(`the ${header.compression} payload does not inflate to ${header.rawBytes} bytes (${(cause as Error).message})`);
    }
  }
  if (raw.byteLength !== header.rawBytes) throw bad(`the payload holds ${raw.byteLength} bytes but the header says ${header.rawBytes}`);

  const data = new Float32Array(header.length);
  const tasks: RawCodecTask[] = header.tensors.map((t) => ({
    codec: t.codec,
    groupSize: t.groupSize ?? 1,
    values: data.subarray(t.offset, t.offset + t.length),
    bytes: raw.subarray(t.byteOffset, t.byteOffset + t.byteLength),
  }));
  await codecDecode(tasks);
  const manifest: ManifestEntry[] = header.tensors
    .filter((t) => t.name !== undefined)
    .map((t) => ({ name: t.name as string, shape: t.shape as number[], offset: t.offset }));
  return { data, manifest };
}

/** The header's bytes-on-the-wire summary of a v2 frame, without decoding it (for reports and benches). */
export function frameCodecs(frame: Uint8Array): FrameHeaderV2 | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.byteLength < 12 || view.getUint32(0, true) !== MAGIC_V2) return undefined;
  const word = view.getUint32(4, true);
  const stored = frame.subarray(8, 8 + (word & ~HEADER_DEFLATED));
  return JSON.parse(new TextDecoder().decode(word & HEADER_DEFLATED ? zlib.inflateSync(stored) : stored)) as FrameHeaderV2;
}

// ---

function bad(why: string) {
  return fsllmError('ERR_FSLLM_PROTOCOL', `Malformed adapter frame: ${why}`);
}

function checkHeader(h: FrameHeaderV2): void {
  if (typeof h !== 'object' || h === null || h.version !== 2) throw bad(`unknown version ${JSON.stringify((h as { version?: unknown } | null)?.version)}`);
  if (!isCount(h.length) || !isCount(h.rawBytes)) throw bad('length and rawBytes must be non-negative integers');
  if (!COMPRESSIONS.includes(h.compression)) throw bad(`unknown compression ${JSON.stringify(h.compression)}`);
  if (!Array.isArray(h.tensors)) throw bad('tensors must be an array');
  const byOffset = [...h.tensors].sort((a, b) => a.offset - b.offset);
  let covered = 0;
  for (const t of byOffset) {
    const label = t.name === undefined ? `values at ${String(t.offset)}` : `tensor ${t.name}`;
    if (!CODEC_NAMES.includes(t.codec)) throw bad(`${label} has unknown codec ${JSON.stringify(t.codec)}`);
    if (!isCount(t.offset) || !isCount(t.length) || t.offset < covered || t.offset + t.length > h.length) {
      throw bad(`${label} overlaps another or lies outside the ${h.length} values`);
    }
    covered = t.offset + t.length;
    const group = t.groupSize ?? 1;
    if (!Number.isSafeInteger(group) || group < 1 || (t.codec === 'int4' && group % 2 !== 0) || (isGrouped(t.codec) && t.groupSize === undefined)) {
      throw bad(`${label} has invalid groupSize ${JSON.stringify(t.groupSize)} for ${t.codec}`);
    }
    if (!isCount(t.byteOffset) || t.byteLength !== encodedBytes(t.codec, t.length, group) || t.byteOffset + t.byteLength > h.rawBytes) {
      throw bad(`${label} has ${JSON.stringify(t.byteLength)} bytes at ${JSON.stringify(t.byteOffset)}, inconsistent with ${t.length} ${t.codec} values in ${h.rawBytes} payload bytes`);
    }
    if (t.name !== undefined) {
      if (typeof t.name !== 'string' || !Array.isArray(t.shape) || !t.shape.every(isCount) || t.shape.reduce((a, b) => a * b, 1) !== t.length) {
        throw bad(`${label} has a shape that does not hold ${t.length} values`);
      }
    }
  }
}

/** The manifest's tensors in manifest order, then unnamed runs for values no tensor covers. */
function runsOf(state: AdapterState): { entry?: ManifestEntry; offset: number; length: number }[] {
  const n = state.data.length;
  const manifest = state.manifest ?? [];
  const runs: { entry?: ManifestEntry; offset: number; length: number }[] = manifest.map((entry, i) => {
    const length = Array.isArray(entry?.shape) ? entry.shape.reduce((a, b) => a * b, 1) : NaN;
    if (!isCount(entry?.offset) || !isCount(length) || entry.offset + length > n) {
      throw invalidArg(`state.manifest[${i}]`, `an entry inside the ${n} values of state.data`, entry);
    }
    return { entry, offset: entry.offset, length };
  });
  const sorted = [...runs].sort((a, b) => a.offset - b.offset);
  const gaps: { offset: number; length: number }[] = [];
  let at = 0;
  for (const r of sorted) {
    if (r.offset < at) throw invalidArg('state.manifest', 'tensors that do not overlap', r.entry?.name);
    if (r.offset > at) gaps.push({ offset: at, length: r.offset - at });
    at = r.offset + r.length;
  }
  if (at < n) gaps.push({ offset: at, length: n - at });
  return [...runs, ...gaps];
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function hex(x: number): string {
  return `0x${x.toString(16).padStart(8, '0')}`;
}
