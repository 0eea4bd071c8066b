/**
 * Clients in child processes (federate.clientProcesses): one forked `clientProcess` per client, each given
 * the run options with model.path set to the model it may load (the emulator in closed-model tuning, never
 * the full model). Each child reports what it was given and loaded when the run is over.
 */
import { fileURLToPath } from 'node:url';
import type { ProcessTransport } from '../comm/processTransport.js';
import type { ResolvedOptions } from '../config/index.js';
import type { ClientProcessInit, ClientProcessReport } from './clientProcess.js';

/** The client process entry, as .ts under a TypeScript loader (tests) or .js from dist. */
function clientScript(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./clientProcess${ext}`, import.meta.url));
}

/**
 * Forks clients `ids` on `transport`, loading `modelPath`.
 * @returns Resolves when every client has reported, with the reports in arrival order.
 */
export function spawnClientProcesses(transport: ProcessTransport, o: ResolvedOptions, ids: number[], modelPath: string): Promise<Map<number, ClientProcessReport>> {
  const reports = new Map<number, ClientProcessReport>();
  const reported = new Promise<Map<number, ClientProcessReport>>((resolve) => {
    transport.onControl((from, body) => {
      reports.set(from as number, body as ClientProcessReport);
      if (reports.size === ids.length) resolve(reports);
    });
  });
  for (const id of ids) {
    transport.spawn(id, clientScript(), { clientId: id, options: { ...o, model: { ...o.model, path: modelPath } } } satisfies ClientProcessInit);
  }
  return reported;
}
