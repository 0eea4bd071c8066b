/**
 * The control messages between the server's process and a client process (federate.clientProcesses), beside
 * the worker frames on the same IPC channel. The parent sends one `init`; the child sends its state with every
 * update (`snapshot`, so the run's checkpoint holds it) and a `report` when the run is over. What the child
 * sends is checked here, at the edge, before the parent acts on it.
 */
import { z } from 'zod';
import type { ResolvedOptions } from '../config/index.js';
import { fsllmError } from '../errors/index.js';
import type { ClientSnapshot } from './Client.js';

/** Parent → child, the first message: what the child builds its client from. */
export interface ClientProcessInit {
  kind: 'init';
  clientId: number;
  /** The run options, with model.path set to what this client may load (never the full model in closed-model tuning). */
  options: ResolvedOptions;
  /** The client's state from the run's checkpoint (a resumed run), restored before the client joins. */
  snapshot?: ClientSnapshot;
}

/** What the child reports at the end (the test of the process boundary reads it). */
export interface ClientProcessReport {
  /** The model this process loaded, and its number of blocks. */
  modelPath: string;
  numLayers: number;
  /** Every path-like string the process was given (its whole view of the file system's models and data). */
  givenPaths: string[];
}

/** Child → parent. */
export type ClientProcessControl =
  | { kind: 'snapshot'; snapshot: ClientSnapshot }
  | { kind: 'report'; report: ClientProcessReport };

const count = z.number().int().nonnegative();
const control = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('snapshot'),
    snapshot: z.object({
      cursor: z.object({ epoch: count, offset: count }),
      optimizer: z.instanceof(Float32Array).nullable(),
      residual: z.instanceof(Float32Array).optional(),
      personal: z.instanceof(Float32Array).optional(),
    }),
  }),
  z.object({
    kind: z.literal('report'),
    report: z.object({ modelPath: z.string(), numLayers: count, givenPaths: z.array(z.string()) }),
  }),
]);

/**
 * `body` as a control message of client process `id`.
 * @throws `ERR_FSLLM_PROTOCOL` when it has another shape.
 */
export function parseClientControl(id: number, body: unknown): ClientProcessControl {
  const result = control.safeParse(body);
  if (result.success) return result.data as ClientProcessControl;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the message';
  throw fsllmError('ERR_FSLLM_PROTOCOL', `Client ${id}'s process sent a malformed control message (${where}: ${issue.message})`);
}
