/**
 * Wire codecs for the flat fp32 adapter buffer: names, options and their validation, and encoded sizes.
 * The kernels are native (csrc/comm/quantize.cpp, reached through lib/native/codecKernels.ts); the frame
 * that carries them is in codecFrame.ts.
 *
 * Byte layout of n values under each codec (little-endian):
 * - `fp32`: n × f32. `fp16` / `bf16`: n × u16, rounded to nearest even.
 * - `int8`: ceil(n/g) fp16 group scales, then n × i8.
 * - `int4`: ceil(n/g) fp16 group scales, then ceil(n/2) bytes, two values per byte (even index in the low
 *   nibble), each in [-7, 7].
 * Symmetric per-group quantisation: s = max|x| / (2^(b−1) − 1) rounded *up* to an fp16 (so the decoding
 * error is at most s/2 of the stored s), q = clamp(round(x/s)); decoding is q·s.
 */
import { invalidArg } from '../errors/index.js';

export type CodecName = 'fp32' | 'fp16' | 'bf16' | 'int8' | 'int4';
export type Compression = 'none' | 'deflate' | 'gzip';

export const CODEC_NAMES: readonly CodecName[] = ['fp32', 'fp16', 'bf16', 'int8', 'int4'];
export const COMPRESSIONS: readonly Compression[] = ['none', 'deflate', 'gzip'];

/** Values per scale when `groupSize` is not given. */
export const DEFAULT_GROUP_SIZE = 64;

export interface CodecOptions {
  codec: CodecName;
  /** Values per fp16 scale for int8/int4 (positive integer; even for int4). Default 64. */
  groupSize?: number;
  /** Lossless pass over the encoded payload (node:zlib, zlib-wrapped DEFLATE or gzip). Default `'none'`. */
  compression?: Compression;
  /** Add the caller's residual before quantising and return the new one (EF-SGD). Default false. */
  errorFeedback?: boolean;
  /** Tensors with fewer values than this stay fp32 (their scales would cost more than they save). Default 0. */
  fp32Below?: number;
}

/** `CodecOptions` with every default filled in. */
export type ResolvedCodecOptions = Required<CodecOptions>;

/** Checks `options` and fills the defaults; throws `ERR_FSLLM_INVALID_ARG` naming the option. */
export function resolveCodecOptions(options: CodecOptions): ResolvedCodecOptions {
  if (typeof options !== 'object' || options === null) throw invalidArg('codec options', 'an object like { codec: "int8" }', options);
  const { codec, groupSize = DEFAULT_GROUP_SIZE, compression = 'none', errorFeedback = false, fp32Below = 0 } = options;
  if (!CODEC_NAMES.includes(codec)) throw invalidArg('codec', `one of ${CODEC_NAMES.join(', ')}`, codec);
  if (!Number.isSafeInteger(groupSize) || groupSize < 1) throw invalidArg('groupSize', 'a positive integer', groupSize);
  if (codec === 'int4' && groupSize % 2 !== 0) {
    throw invalidArg('groupSize', 'an even integer for codec int4 (two values share a byte), e.g. 64', groupSize);
  }
  if (!COMPRESSIONS.includes(compression)) throw invalidArg('compression', `one of ${COMPRESSIONS.join(', ')}`, compression);
  if (typeof errorFeedback !== 'boolean') throw invalidArg('errorFeedback', 'a boolean', errorFeedback);
  if (!Number.isSafeInteger(fp32Below) || fp32Below < 0) throw invalidArg('fp32Below', 'a non-negative integer', fp32Below);
  return { codec, groupSize, compression, errorFeedback, fp32Below };
}

/** Encoded bytes of `count` values under `codec` (groupSize matters for int8/int4 only). */
export function encodedBytes(codec: CodecName, count: number, groupSize = DEFAULT_GROUP_SIZE): number {
  const scales = 2 * Math.ceil(count / groupSize);
  switch (codec) {
    case 'fp32': return 4 * count;
    case 'fp16':
    case 'bf16': return 2 * count;
    case 'int8': return scales + count;
    case 'int4': return scales + Math.ceil(count / 2);
  }
}

/** True for the codecs that store per-group scales. */
export function isGrouped(codec: CodecName): boolean {
  return codec === 'int8' || codec === 'int4';
}
