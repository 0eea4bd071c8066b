// The malformed messages a client with a valid token can send at the chunk and frame level, each with the
// reason the server must give when it refuses it. Shared by the transport test (hostileChunks.test.ts) and
// the full-run test (test/fl/hostileRun.test.ts, through its rogue process rogueChunks.ts), so both hold the
// server to the same list. Chunks use message id 1, hence "message 1" in the reasons.
import { rawChunk, wholeChunk } from './_rogue.js';

const MiB = 1 << 20;

/** One case: its name, the chunks that carry it (fresh on each call), and the refusal's reason. */
export type MalformedCase = [name: string, chunks: () => Buffer[], why: RegExp];

/** A message frame (messageFrame.ts layout) whose JSON header is `json`. */
export function frameOf(json: string): Buffer {
  const body = Buffer.from(json);
  const frame = Buffer.alloc(8 + body.length);
  frame.writeUInt32LE(0x474d5346, 0);
  frame.writeUInt32LE(body.length, 4);
  body.copy(frame, 8);
  return frame;
}

export const MALFORMED_CASES: MalformedCase[] = [
  ['a chunk shorter than its header', () => [Buffer.alloc(10)], /a chunk of 10 bytes is shorter than its header/],
  ['a wrong digest', () => [rawChunk({}, Buffer.from('x'.repeat(50)), Buffer.alloc(32))], /message 1 \(50 bytes\) fails its sha256 check/],
  ['an unknown chunk version', () => [rawChunk({ version: 9 }, Buffer.alloc(4))], /chunk version 9 is not 1/],
  ['chunks out of order', () => [rawChunk({ count: 3, total: 30 }, Buffer.alloc(10)), rawChunk({ index: 2, count: 3, total: 30 }, Buffer.alloc(10))], /chunk 2\/3 of message 1 does not follow chunk 0\/3/],
  ['a chunk without its first', () => [rawChunk({ index: 1, count: 3, total: 30 }, Buffer.alloc(10))], /chunk 1 of message 1 arrived without its first chunk/],
  ['chunks that carry more than they declare', () => [rawChunk({ count: 2, total: 100 }, Buffer.alloc(200))], /message 1 runs past its declared 100 bytes/],
  ['more chunks than bytes', () => [rawChunk({ count: 1000, total: 10 }, Buffer.alloc(10))], /message 1 declares 1000 chunks of 10 bytes/],
  ['a message over the size limit', () => [rawChunk({ count: 768, total: 768 * MiB }, Buffer.alloc(MiB))], /message 1 declares 805306368 bytes, over the limit of 536870912 \(maxMessageBytes\)/],
  ['a payload that is not a message frame', () => [wholeChunk(Buffer.from('hello, server'))], /Malformed message: it does not start with FSMG/],
  ['a frame with no type', () => [wholeChunk(frameOf('{"round":1}'))], /Malformed message: it has no type/],
  ['a frame whose header is not JSON', () => [wholeChunk(frameOf('{round'))], /Malformed message: the header is not JSON/],
  ['a frame of an unknown type', () => [wholeChunk(frameOf('{"type":"shutdown","hasAdapter":false}'))], /Malformed message: type: Invalid discriminator value/],
  ['metrics whose results are not a list', () => [wholeChunk(frameOf('{"type":"metrics","round":1,"results":5,"hasAdapter":false}'))], /Malformed message: results: Invalid input: expected array/],
  ['an update without its adapter', () => [wholeChunk(frameOf('{"type":"modelPara","round":1,"sampleSize":1,"train":{"loss":1,"steps":1,"targetTokens":1,"msPerStep":1},"hasAdapter":false}'))], /Malformed message: adapter: Invalid input: expected Uint8Array/],
];
