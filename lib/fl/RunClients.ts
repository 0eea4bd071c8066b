/**
 * The clients of a FedTrainer run and the transport that reaches them, as the options choose: clients in this
 * process (in-process transport), in child processes (IPC), or remote `fsllm client` processes (gRPC,
 * distributed mode). The trainer drives the three alike: attach them to the server, run, and wait until
 * they have finished. Client states are checkpointed for the first two; remote clients keep their own.
 */
import type { GrpcServerTransport } from '../comm/grpc/index.js';
import { InProcessTransport } from '../comm/inProcess.js';
import { ProcessTransport } from '../comm/processTransport.js';
import type { Transport } from '../comm/transport.js';
import type { ResolvedOptions } from '../config/index.js';
import { buildClient } from './buildClient.js';
import type { Client, ClientSnapshot } from './Client.js';
import type { ClientModel } from './clientModel.js';
import type { ClientProcessReport } from './clientProcessControl.js';
import { spawnClientProcesses } from './clientProcesses.js';
import type { FedReporter } from './events.js';
import { listenGrpc } from './listenGrpc.js';
import type { PreparedClient } from './prepareClients.js';
import type { Server } from './Server.js';

type Mode =
  | { kind: 'inProcess' }
  | { kind: 'processes'; transport: ProcessTransport }
  | { kind: 'remote'; transport: GrpcServerTransport };

/** What the clients are built from. */
export interface ClientsContext {
  prepared: PreparedClient[];
  model: ClientModel;
  events: FedReporter;
  signal?: AbortSignal;
}

export class RunClients {
  readonly transport: Transport;
  readonly #o: ResolvedOptions;
  readonly #mode: Mode;
  #context: ClientsContext | null = null;
  #local: Client[] = [];
  #reports = new Map<number, ClientProcessReport>();
  /** Client processes: the newest state each sent (or was restored to, until it sends one). */
  readonly #processStates = new Map<number, ClientSnapshot>();

  private constructor(o: ResolvedOptions, transport: Transport, mode: Mode) {
    this.#o = o;
    this.transport = transport;
    this.#mode = mode;
  }

  /** Opens the transport of `o`; in distributed mode the server listens from here on. */
  static async open(o: ResolvedOptions, warn: (message: string) => void): Promise<RunClients> {
    if (o.federate.mode === 'distributed') {
      const transport = await listenGrpc(o, warn);
      return new RunClients(o, transport, { kind: 'remote', transport });
    }
    if (o.federate.clientProcesses) {
      const transport = new ProcessTransport();
      return new RunClients(o, transport, { kind: 'processes', transport });
    }
    return new RunClients(o, new InProcessTransport(), { kind: 'inProcess' });
  }

  /** The port remote clients connect to (distributed mode), else null. */
  get port(): number | null {
    return this.#mode.kind === 'remote' ? this.#mode.transport.port : null;
  }

  /** What each client process reported (child processes, once the run is over), in arrival order. */
  get reports(): ReadonlyMap<number, ClientProcessReport> {
    return this.#reports;
  }

  /** Builds the clients that live in this process, and tells `server` when a remote one disconnects. */
  attach(server: Server, context: ClientsContext): void {
    this.#context = context;
    if (this.#mode.kind === 'inProcess') {
      this.#local = context.prepared.map((p) => buildClient(this.#o, p, {
        endpoint: this.transport.endpoint(p.id), model: context.model, events: context.events, ...(context.signal ? { signal: context.signal } : {}),
      }));
    }
    if (this.#mode.kind === 'remote') {
      this.#mode.transport.onConnection((id, connected) => {
        if (!connected) server.clientLost(id);
      });
    }
  }

  /**
   * States of the clients in this process and in child processes (checkpointed with the run). A child sends
   * its state before each update, so once a round's updates are in, its state is here. Remote clients keep
   * their own: they outlive a server restart.
   */
  snapshots(): Map<number, ClientSnapshot> {
    return new Map([...this.#processStates, ...this.#local.map((c): [number, ClientSnapshot] => [c.id, c.snapshot])]);
  }

  /** Gives the clients their checkpointed states; after `attach`, before `run` (child processes get theirs when forked). */
  restore(snapshots: ReadonlyMap<number, ClientSnapshot>): void {
    for (const c of this.#local) {
      const snapshot = snapshots.get(c.id);
      if (snapshot) c.restore(snapshot);
    }
    if (this.#mode.kind !== 'processes') return;
    for (const { id } of this.#context!.prepared) {
      const snapshot = snapshots.get(id);
      if (snapshot) this.#processStates.set(id, snapshot);
    }
  }

  /**
   * Starts the clients, runs `server`, and resolves with why the run ended once the clients have finished
   * too (remote clients end by themselves on `finish`). A transport error rejects.
   */
  async run(server: Server, signal: AbortSignal | undefined): Promise<'completed' | 'earlyStop'> {
    const { prepared, model } = this.#context!;
    const failed = new Promise<never>((_, reject) => this.transport.onError(reject));
    let finished: Promise<unknown> = Promise.resolve();
    if (this.#mode.kind === 'processes') {
      const states = { restored: new Map(this.#processStates), onSnapshot: (id: number, s: ClientSnapshot) => void this.#processStates.set(id, s) };
      finished = spawnClientProcesses(this.#mode.transport, this.#o, prepared.map((p) => p.id), model.model.source, states)
        .then((reports) => void (this.#reports = reports));
    } else if (this.#mode.kind === 'inProcess') {
      finished = Promise.all(this.#local.map((c) => c.finished()));
      await Promise.all(this.#local.map((c) => c.join()));
    }
    // A transport failure ends the run: the server's waits, deadlines and retries are aborted with it, or
    // they would go on against a closed endpoint and keep the process alive for minutes.
    const stop = new AbortController();
    const abort = () => stop.abort();
    signal?.addEventListener('abort', abort, { once: true });
    if (signal?.aborted) abort();
    failed.catch(abort);
    try {
      const reason = await Promise.race([server.run(stop.signal), failed]);
      await Promise.race([finished, failed]);
      return reason;
    } finally {
      signal?.removeEventListener('abort', abort);
      stop.abort();
    }
  }
}
