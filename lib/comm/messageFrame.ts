/**
 * One message as bytes: magic `FSMG`, a u32 header length, the JSON of every field but `adapter`, then the
 * adapter frame (if any). Every transport sends exactly these bytes, so bytes on the wire are counted the
 * same way in-process and over the network.
 */
import { fsllmError } from '../errors/index.js';
import type { AnyMessage } from './messages.js';

const MAGIC = 0x474d5346; // 'FSMG'

export function encodeMessage(message: AnyMessage): Uint8Array {
  const { adapter, ...rest } = message as AnyMessage & { adapter?: Uint8Array };
  const json = new TextEncoder().encode(JSON.stringify({ ...rest, hasAdapter: adapter !== undefined }));
  const frame = new Uint8Array(8 + json.length + (adapter?.byteLength ?? 0));
  const view = new DataView(frame.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  frame.set(json, 8);
  if (adapter) frame.set(adapter, 8 + json.length);
  return frame;
}

/** @throws `ERR_FSLLM_PROTOCOL` for bytes that are not a message frame. */
export function decodeMessage(frame: Uint8Array): AnyMessage {
  const bad = (why: string) => fsllmError('ERR_FSLLM_PROTOCOL', `Malformed message: ${why}`);
  if (frame.byteLength < 8) throw bad('shorter than its preamble');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw bad('it does not start with FSMG');
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > frame.byteLength) throw bad('the header runs past the end');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(frame.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (cause) {
    throw bad(`the header is not JSON (${(cause as Error).message})`);
  }
  const { hasAdapter, ...rest } = header;
  if (typeof rest.type !== 'string') throw bad('it has no type');
  return (hasAdapter ? { ...rest, adapter: frame.subarray(8 + headerLength) } : rest) as unknown as AnyMessage;
}
