/**
 * Clients in child processes (federate.clientProcesses): one forked `clientProcess` per client, each given
 * the run options with model.path set to the model it may load (the emulator in closed-model tuning, never
 * the full model) and, in a resumed run, its checkpointed state. Each child sends its state with every
 * update and reports what it was given and loaded when the run is over.
 */
import type { ProcessTransport } from '../comm/processTransport.js';
import type { ResolvedOptions } from '../config/index.js';
import type { ClientSnapshot } from './Client.js';
import { siblingScript } from '../util/siblingScript.js';
import { parseClientControl, type ClientProcessInit, type ClientProcessReport } from './clientProcessControl.js';


/** The client states the children start from, and where the ones they send go. */
export interface ClientProcessStates {
  /** Checkpointed states (a resumed run); a client without one starts fresh. */
  restored: ReadonlyMap<number, ClientSnapshot>;
  /** Called with each state a child sends, before the update it goes with reaches the server. */
  onSnapshot: (id: number, snapshot: ClientSnapshot) => void;
}

/**
 * Forks clients `ids` on `transport`, loading `modelPath`.
 * @returns Resolves when every client has reported, with the reports in arrival order.
 */
export function spawnClientProcesses(transport: ProcessTransport, o: ResolvedOptions, ids: number[], modelPath: string, states: ClientProcessStates): Promise<Map<number, ClientProcessReport>> {
  const reports = new Map<number, ClientProcessReport>();
  const reported = new Promise<Map<number, ClientProcessReport>>((resolve) => {
    transport.onControl((from, body) => {
      const id = from as number;
      const control = parseClientControl(id, body);
      if (control.kind === 'snapshot') return states.onSnapshot(id, control.snapshot);
      reports.set(id, control.report);
      if (reports.size === ids.length) resolve(reports);
    });
  });
  for (const id of ids) {
    const snapshot = states.restored.get(id);
    const init: ClientProcessInit = { kind: 'init', clientId: id, options: { ...o, model: { ...o.model, path: modelPath } }, ...(snapshot ? { snapshot } : {}) };
    transport.spawn(id, siblingScript(import.meta.url, 'clientProcess'), init);
  }
  return reported;
}
