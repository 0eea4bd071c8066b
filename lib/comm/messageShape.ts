/**
 * The shape a message must have when it arrives from another process, checked at the edge so that workers
 * get the typed value messages.ts promises, or nothing: a known type, integers where counts and rounds are,
 * arrays where lists are, adapter bytes where one is due. It checks structure, not policy (whether the round
 * is the current one, whether an adapter fits the global one: that is the Server's). Numbers a worker
 * computes may arrive as null, which is what JSON makes of NaN and Infinity; honest peers send those too.
 */
import { z } from 'zod';
import type { AnyMessage } from './messages.js';

const count = z.number().int().nonnegative();
const round = count;
const measured = z.number().nullable();
const adapter = z.instanceof(Uint8Array);
const split = z.enum(['val', 'test']);

const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('join'), clientId: z.number().int().positive(), trainSamples: count }),
  z.object({
    type: z.literal('modelPara'),
    round,
    sampleSize: z.number(),
    adapter,
    train: z.object({ loss: measured, steps: count, targetTokens: measured, msPerStep: measured }),
  }),
  z.object({ type: z.literal('metrics'), round, results: z.array(z.object({ split, lossSum: measured, tokens: measured })) }),
]);

const serverMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('modelPara'), round, adapter }),
  z.object({ type: z.literal('evaluate'), round, adapter, splits: z.array(split) }),
  z.object({ type: z.literal('finish'), round, adapter }),
]);

/** The first problem of `message` as a message of `from`'s kind, or null when it has the right shape. */
export function messageShapeProblem(message: AnyMessage, from: 'client' | 'server'): string | null {
  const result = (from === 'client' ? clientMessage : serverMessage).safeParse(message);
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the message';
  return `${where}: ${issue.message}`;
}
