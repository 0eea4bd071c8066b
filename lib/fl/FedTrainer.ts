/**
 * The entry point of a federated run: validates options, loads the base model once, prepares each
 * client's data, and runs the server and clients over the in-process transport (standalone mode),
 * writing metrics, checkpoints, the final adapter and report.html to the output folder.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { encodeAdapter } from '../comm/adapterFrame.js';
import { InProcessTransport } from '../comm/inProcess.js';
import { resolveOptions, type FedTrainerOptions, type ResolvedOptions } from '../config/index.js';
import { fsllmError } from '../errors/index.js';
import type { AdapterState } from '../native/adapterState.js';
import { binding } from '../native/binding.js';
import { normalizeLora } from '../native/lora.js';
import { openModel } from './openModel.js';
import { offsiteClientTerm } from './offsite/clientTerm.js';
import { loadAdapter, writeAdapterFiles } from '../native/peftAdapter.js';
import { TrainSession } from '../native/TrainSession.js';
import { writeReport } from '../report/index.js';
import { AsyncLock } from '../util/lock.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { SharedModel } from './Client.js';
import type { FedEmitter } from './events.js';
import { prepareClients, type PreparedClient } from './prepareClients.js';
import type { CostSummary, EvalRecord, RoundRecord, RunRecord, TrainRecord } from './records.js';
import { RunOutput } from './runOutput.js';
import { Server, type ServerOptions } from './Server.js';
import { buildClient, codecOf } from './buildClient.js';
import type { ClientProcessInit, ClientProcessReport } from './clientProcess.js';
import { ProcessTransport } from '../comm/processTransport.js';
import type { Transport } from '../comm/transport.js';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { GrpcServerTransport } from '../comm/grpc/index.js';
import { OffsiteSetup } from './offsite/offsiteSetup.js';

/** An adapter the run produced, with the configuration needed to save it in PEFT format. */
export interface FinalAdapter {
  state: AdapterState;
  /** Writes `adapter_config.json` + `adapter_model.safetensors` into `dir`. */
  save(dir: string): Promise<void>;
}

export interface FedResults {
  outDir: string;
  /** Rounds completed (fewer than totalRounds after an early stop). */
  rounds: number;
  reason: 'completed' | 'earlyStop';
  /** Best evaluation of the merged split named by eval.bestKey. */
  best: { round: number; value: number; key: string } | null;
  /** Records of the last evaluation (per client and 'global'). */
  final: EvalRecord[];
  history: RunRecord[];
  cost: CostSummary;
  /** The global adapter (fed, global scenarios); null in the local scenario. */
  adapter: FinalAdapter | null;
  /** Each client's own adapter (local scenario). */
  clientAdapters: Map<number, FinalAdapter>;
  /** With federate.clientProcesses: what each client process was given and loaded. */
  clientProcesses: { id: number; modelPath: string; numLayers: number; givenPaths: string[] }[];
}

/** Starts the gRPC server of a distributed run, with TLS files read and client tokens from `distribute`. */
async function listenGrpc(o: ResolvedOptions, warn: (m: string) => void): Promise<GrpcServerTransport> {
  const d = o.distribute;
  const loopback = d.host === 'localhost' || d.host.startsWith('127.') || d.host === '::1';
  if (!d.tls && !loopback && !d.insecure) {
    throw fsllmError('ERR_FSLLM_CONFIG', `distribute.tls: the server listens on ${d.host}, beyond loopback, so TLS is required (set distribute.tls.cert and .key, or distribute.insecure: true)`);
  }
  const tls = d.tls ? {
    cert: await readFile(d.tls.cert ?? missingPem('cert')),
    key: await readFile(d.tls.key ?? missingPem('key')),
    ...(d.tls.ca ? { ca: await readFile(d.tls.ca) } : {}),
    ...(d.tls.requireClientCert ? { requireClientCert: true } : {}),
  } : undefined;
  return GrpcServerTransport.listen({
    host: d.host,
    port: d.port,
    ...(tls ? { tls } : {}),
    ...(d.tokens ? { tokens: d.tokens } : {}),
    log: (level, message) => {
      if (level !== 'info') warn(message);
    },
  });
}

function missingPem(which: string): never {
  throw fsllmError('ERR_FSLLM_CONFIG', `distribute.tls.${which}: the server needs a PEM ${which} file for TLS (set its path)`);
}

/** The client process entry, as .ts under a TypeScript loader (tests) or .js from dist. */
function clientScript(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./clientProcess${ext}`, import.meta.url));
}

/**
 * A federated fine-tuning run.
 * @example
 * const run = new FedTrainer({ model: { path: 'assets/stories260K/stories260K.bin' }, data: { type: 'gsm8k', root: './data' } });
 * run.on('roundEnd', (r) => console.log(r.round, r.trainLoss));
 * const result = await run.run();
 * await result.adapter?.save('./out/adapter');
 * @throws `ERR_FSLLM_CONFIG` from the constructor when an option is invalid (the message names each one and its fix).
 */
export class FedTrainer extends (EventEmitter as new () => FedEmitter) {
  readonly options: ResolvedOptions;
  #running = false;

  constructor(options: FedTrainerOptions | ResolvedOptions) {
    super();
    this.options = resolveOptions(options);
  }

  /** Runs every round (or resumes from the output folder's checkpoint when output.resume is set). */
  async run(runOptions: { signal?: AbortSignal } = {}): Promise<FedResults> {
    if (this.#running) throw fsllmError('ERR_FSLLM_BUSY', 'This FedTrainer is already running; await run() before calling it again');
    this.#running = true;
    try {
      return await this.#run(runOptions.signal);
    } finally {
      this.#running = false;
    }
  }

  async #run(signal: AbortSignal | undefined): Promise<FedResults> {
    const o = this.options;
    const distributed = o.federate.mode === 'distributed';

    const started = Date.now();
    const output = new RunOutput(o.output.dir);
    const warn = (m: string) => this.emit('warning', m);
    // Closed-model tuning: the owner builds the emulator; clients load only the emulator folder.
    const offsite = o.offsite ? await OffsiteSetup.create(o, output.dir, warn) : null;
    const model = await openModel(o, offsite?.emulatorDir ?? null).catch(async (error: unknown) => {
      await offsite?.dispose();
      throw error;
    });
    // Distributed: this process is the server; clients are `fsllm client` processes that connect over gRPC.
    const grpc = distributed ? await listenGrpc(o, warn).catch(async (error: unknown) => {
      await model.dispose();
      await offsite?.dispose();
      throw error;
    }) : null;
    const processes = !distributed && o.federate.clientProcesses ? new ProcessTransport() : null;
    const transport: Transport = grpc ?? processes ?? new InProcessTransport();
    let session: TrainSession | null = null;
    const records: RunRecord[] = [];
    let stopCollecting = () => {};
    try {
      if (o.model.threads !== undefined) binding().setNumThreads(o.model.threads);
      const tokenizer = model.tokenizer;
      if (!tokenizer) throw fsllmError('ERR_FSLLM_TOKENIZER', `${o.model.path}: no tokenizer was found beside the model, and federated data must be tokenized`);
      // A distributed server that knows the client count needs none of the clients' data.
      const clientNum = o.federate.clientNum;
      // (The model owner of closed-model tuning evaluates full model + adapter on the held-out data: it loads it.)
      const prepared = distributed && clientNum !== undefined && !offsite
        ? Array.from({ length: clientNum }, (_, i): PreparedClient => ({ id: i + 1, train: [], val: [], test: [] }))
        : await prepareClients(o, tokenizer, warn);
      // In closed-model tuning LoRA sits on the emulator model's adapter (and aligned emulator) layers only;
      // checkpoints and the final adapter record that layout, so they load back onto the same tensors.
      const lora = normalizeLora({ ...o.adapter, seed: o.federate.seed, ...(offsite ? { layers: offsite.loraLayers } : {}) }, 'adapter');
      const { trainableParameters } = await model.attachLora(lora);
      if (offsite && offsite.fullWeightLayers.length > 0) await model.setLayersTrainable(offsite.fullWeightLayers, true);
      let initial = await model.exportAdapter();
      const checkpoint = o.output.resume ? await readCheckpoint(output.dir) : null;
      // A resumed run takes the aligned emulator from its checkpoint instead of aligning again.
      if (offsite && !checkpoint) {
        const pre = await offsite.align(initial, o.offsite!.align.use ? o.offsite!.align.preSteps : 0);
        if (pre.report.steps > 0) this.emit('align', { round: 0, ...pre.report });
        initial = pre.state;
      }
      session = await TrainSession.create(model, { optimizer: o.train.optimizer, ...(offsite ? { layers: offsite.plan.adapterLayersInModel } : {}) });
      const shared: SharedModel = { model, session, turn: new AsyncLock() };
      const padId = tokenizer.eosId ?? 0;

      const collect = (r: TrainRecord | RoundRecord) => records.push(r);
      const collectEval = (e: { records: EvalRecord[] }) => records.push(...e.records);
      this.on('clientEnd', collect).on('roundEnd', collect).on('eval', collectEval);
      stopCollecting = () => this.off('clientEnd', collect).off('roundEnd', collect).off('eval', collectEval);

      const uploadNames = offsite ? offsite.adapterNames(initial) : undefined;
      const { mergedProxWeight, fedProxMu } = offsiteClientTerm(o);
      const clients = processes || grpc ? [] : prepared.map((p) => buildClient(o, p, {
        endpoint: transport.endpoint(p.id), shared, padId, events: this, signal, mergedProxWeight, fedProxMu, ...(uploadNames ? { uploadNames } : {}),
      }));
      const fingerprint = fingerprintOf(o);
      let server: Server;
      const afterRound = async (round: number) => {
        await output.append(records.splice(0));
        const every = o.output.checkpointEvery;
        if (every > 0 && (round % every === 0 || round === o.federate.totalRounds)) {
          const dir = await writeCheckpoint(output.dir, {
            server: server.snapshot,
            global: server.global,
            personal: server.personal,
            clients: new Map(clients.map((c) => [c.id, c.snapshot])),
            lora,
            family: model.config.family,
            baseModel: path.basename(model.source),
            fingerprint,
          });
          this.emit('checkpoint', { round, dir });
        }
      };
      server = new Server(transport.endpoint('server'), initial, {
        clientIds: prepared.map((p) => p.id),
        totalRounds: o.federate.totalRounds,
        sampling: { count: o.federate.sampleClients, rate: o.federate.sampleRate },
        weighting: o.federate.weighting,
        personalized: o.federate.scenario === 'local',
        evalEvery: o.eval.every,
        evalSplits: o.eval.splits,
        bestKey: o.eval.bestKey,
        earlyStop: o.eval.earlyStop,
        seed: o.federate.seed,
        afterRound,
        deadlineMs: o.federate.deadlineSeconds * 1000,
        ...(codecOf(o) ? { codec: codecOf(o)! } : {}),
        maxRetries: o.federate.maxRetries,
        ...(o.federate.minClients !== undefined ? { minClients: o.federate.minClients } : {}),
        ...(offsite ? this.#offsiteServer(offsite, prepared) : {}),
      }, this);

      if (checkpoint) {
        if (checkpoint.fingerprint !== fingerprint) {
          throw fsllmError('ERR_FSLLM_CONFIG', `${output.dir}: the checkpoint was written by a run with other options; resume with the same options (only federate.totalRounds may change) or use another output.dir`);
        }
        await loadAdapter(model, checkpoint.adapterDir);
        server.restore(checkpoint.server, (await model.exportAdapter()).data, checkpoint.personal);
        for (const c of clients) {
          const snap = checkpoint.clients.get(c.id);
          if (snap) c.restore(snap);
        }
      }
      await output.start(o, checkpoint?.round ?? null);

      const failed = new Promise<never>((_, reject) => transport.onError(reject));
      const reports = new Map<number, ClientProcessReport>();
      grpc?.onConnection((id, connected) => {
        if (!connected) server.clientLost(id);
      });
      if (grpc) this.emit('listening', { host: o.distribute.host, port: grpc.port, ...(offsite ? { emulatorDir: offsite.emulatorDir } : {}) });
      // Distributed clients end on their own when they get `finish`; there is nothing to wait for.
      const finished = grpc ? Promise.resolve() : processes
        ? new Promise<void>((resolve) => {
          processes.onControl((from, body) => {
            reports.set(from as number, body as ClientProcessReport);
            if (reports.size === prepared.length) resolve();
          });
        })
        : Promise.all(clients.map((c) => c.finished()));
      if (processes) {
        // A client process gets the model it may see (the emulator in closed-model tuning), never the full one.
        const { offsite: _owner, ...clientOptions } = o;
        for (const p of prepared) {
          processes.spawn(p.id, clientScript(), {
            clientId: p.id,
            options: { ...clientOptions, model: { ...o.model, path: model.source } },
            ...(offsite ? { emulator: true, loraLayers: offsite.loraLayers, sessionLayers: offsite.plan.adapterLayersInModel, fullWeightLayers: offsite.fullWeightLayers } : {}),
            ...(uploadNames ? { uploadNames: [...uploadNames] } : {}),
            mergedProxWeight,
            fedProxMu,
          } satisfies ClientProcessInit);
        }
      }
      await Promise.all(clients.map((c) => c.join()));
      const reason = await Promise.race([server.run(signal), failed]);
      await Promise.race([finished, failed]);

      // Outputs: final adapter(s), cost, report.
      const family = model.config.family;
      const base = path.basename(model.source);
      const finalAdapter = (state: AdapterState): FinalAdapter => ({ state, save: (dir) => writeAdapterFiles(dir, state, lora, family, base) });
      const adapter = o.federate.scenario === 'local' ? null : finalAdapter(server.global);
      const clientAdapters = new Map([...server.personal].map(([id, data]) => [id, finalAdapter({ data, manifest: initial.manifest })]));
      if (adapter) await adapter.save(path.join(output.dir, 'adapter'));
      for (const [id, a] of clientAdapters) await a.save(path.join(output.dir, 'adapters', `client-${id}`));
      const history = await output.records();
      // Closed-model tuning: clients train (and send) only the adapter layers' LoRA.
      const trained = uploadNames ? initial.manifest.filter((e) => uploadNames.has(e.name)).reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0) : trainableParameters;
      const cost = costOf(history, trained, encodeAdapter(initial).byteLength, (Date.now() - started) / 1000);
      await output.writeCost(cost);
      if (o.output.report) await writeReport(output.dir);
      const lastEvalRound = Math.max(0, ...history.filter((r) => r.kind === 'eval').map((r) => r.round));
      const best = server.snapshot.best;
      return {
        outDir: output.dir,
        rounds: server.snapshot.round,
        reason,
        best: best ? { ...best, key: o.eval.bestKey } : null,
        final: history.filter((r): r is EvalRecord => r.kind === 'eval' && r.round === lastEvalRound),
        history,
        cost,
        adapter,
        clientAdapters,
        clientProcesses: [...reports].map(([id, r]) => ({ id, modelPath: r.modelPath, numLayers: r.numLayers, givenPaths: r.givenPaths })),
      };
    } finally {
      stopCollecting();
      transport.close();
      await session?.dispose();
      await model.dispose();
      await offsite?.dispose();
    }
  }

  /**
   * Server options of closed-model tuning: FedBiOT re-aligns the emulator after every aggregation; client
   * evaluations run on emulator + adapter (AdapEmu) and the owner evaluates full model + adapter (AdapFu)
   * on the merged held-out splits, which picks the best round.
   */
  #offsiteServer(offsite: OffsiteSetup, prepared: PreparedClient[]): Partial<ServerOptions> {
    const o = this.options;
    const align = o.offsite!.align;
    const heldOut = { val: prepared.flatMap((p) => p.val), test: prepared.flatMap((p) => p.test) };
    return {
      variant: 'AdapEmu',
      bestVariant: 'AdapFu',
      ...(o.offsite!.algorithm === 'fedbiot' && align.use ? {
        afterAggregate: async (round: number, global: AdapterState) => {
          const { state, report } = await offsite.align(global, align.stepsPerRound);
          this.emit('align', { round, ...report });
          return state;
        },
      } : {}),
      serverEval: async (round: number, global: AdapterState) => {
        const records: EvalRecord[] = [];
        for (const split of o.eval.splits) {
          const { lossSum, tokens } = await offsite.fullLoss(global, heldOut[split], o.data.tokLen, o.eval.batchSize);
          records.push({ kind: 'eval', round, target: 'global', split, metric: 'loss', value: tokens > 0 ? lossSum / tokens : NaN, count: tokens, variant: 'AdapFu' });
        }
        return records;
      },
    };
  }


}

/** Options that change results (everything but the output switches and the round budget). */
function fingerprintOf(o: ResolvedOptions): string {
  const { output: _output, ...rest } = o;
  const { totalRounds: _rounds, ...federate } = rest.federate;
  return createHash('sha256').update(JSON.stringify({ ...rest, federate })).digest('hex').slice(0, 16);
}

function costOf(history: RunRecord[], trainableParameters: number, adapterMessageBytes: number, wallSeconds: number): CostSummary {
  const train = history.filter((r): r is TrainRecord => r.kind === 'train');
  const rounds = history.filter((r) => r.kind === 'round');
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const down = sum(rounds.map((r) => r.bytesDown));
  const up = sum(rounds.map((r) => r.bytesUp));
  return {
    trainableParameters,
    adapterMessageBytes,
    meanMsPerStep: sum(train.map((t) => t.msPerStep * t.steps)) / Math.max(1, sum(train.map((t) => t.steps))),
    peakRssBytes: Math.max(0, ...rounds.map((r) => r.rssBytes)),
    bytesDownPerRound: down / Math.max(1, rounds.length),
    bytesUpPerRound: up / Math.max(1, rounds.length),
    totalBytes: down + up,
    wallSeconds,
  };
}
