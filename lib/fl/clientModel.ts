/**
 * The model a client trains on, set up the same way wherever the client runs (in the trainer's process, in
 * a child process, or as a distributed client): the base model with LoRA attached and an optimizer session.
 * In closed-model tuning it is the emulator, whose manifest says which layers carry LoRA, which train, and
 * which tensors a client uploads.
 */
import os from 'node:os';
import type { ResolvedOptions } from '../config/index.js';
import { readEmulatorManifest } from '../emulator/index.js';
import { fsllmError } from '../errors/index.js';
import { setNumThreads, TrainSession, type AdapterState, type Model } from '../native/index.js';
import { normalizeLora } from '../native/lora.js';
import { ReplicaTeam } from '../parallel/ReplicaTeam.js';
import { AsyncLock } from '../util/lock.js';
import { siblingScript } from '../util/siblingScript.js';
import type { SharedModel } from './Client.js';
import { adapterNamesOf, loraLayers } from './offsite/offsiteSetup.js';
import { openModel } from './openModel.js';

export interface ClientModel extends SharedModel {
  trainableParameters: number;
  /** The adapter as attached, before any training. */
  initial: AdapterState;
  /** Closed-model tuning: the adapter-layer tensors clients train and upload (absent: the whole adapter). */
  uploadNames?: ReadonlySet<string>;
  /** train.dataParallel: the other ranks of this client (absent with one process). */
  replicas?: ReplicaTeam<ReplicaSetup>;
  /** Releases the other ranks, then disposes the session and the model. */
  dispose(): Promise<void>;
}

/** What a data-parallel rank process opens: the run options for one process, and the emulator folder. */
export interface ReplicaSetup {
  options: ResolvedOptions;
  emulatorDir: string | null;
}

/** train.dataParallel's other ranks, each opening this same client model in its own process. */
function replicaTeam(o: ResolvedOptions, emulatorDir: string | null): ReplicaTeam<ReplicaSetup> | undefined {
  const { processes, backend, timeoutSeconds } = o.train.dataParallel;
  if (processes < 2) return undefined;
  if (backend === 'nccl') {
    throw fsllmError('ERR_FSLLM_UNSUPPORTED', "train.dataParallel.backend 'nccl' is not built into fsllm-native yet; use 'gloo' (it also runs with CUDA models: gradients are summed on the host)");
  }
  // The ranks share the machine's cores unless model.threads says otherwise; rank 0 (this process) too.
  const threads = o.model.threads ?? Math.max(1, Math.floor(os.availableParallelism() / processes));
  setNumThreads(threads);
  const single = { ...o, train: { ...o.train, dataParallel: { ...o.train.dataParallel, processes: 1 } } };
  return new ReplicaTeam({
    processes, script: siblingScript(import.meta.url, 'replicaProcess'), setup: { options: single, emulatorDir }, timeoutMs: Math.round(timeoutSeconds * 1000), threadsPerProcess: threads,
  });
}

/** `o.adapter` on `model`: LoRA (on `loraLayers` in closed-model tuning) or a prompt-learning method. */
async function attachAdapter(model: Model, o: ResolvedOptions, loraLayers: number[] | undefined): Promise<{ trainableParameters: number }> {
  const { method, r, alpha, dropout, targets, rslora, layers, ...prompt } = o.adapter;
  if (method === 'lora') {
    return model.attachLora(normalizeLora({ r, alpha, dropout, targets, rslora, seed: o.federate.seed, ...(layers ? { layers } : {}), ...(loraLayers ? { layers: loraLayers } : {}) }, 'adapter'));
  }
  return model.attachPrompt({ ...prompt, method, seed: o.federate.seed });
}

/**
 * Opens the client model of a run: `o.model.path`, or the emulator in `emulatorDir` (closed-model tuning,
 * where `o.offsite` must be set).
 */
export async function openClientModel(o: ResolvedOptions, emulatorDir: string | null = null): Promise<ClientModel> {
  const replicas = replicaTeam(o, emulatorDir);  // starts nothing until the first step
  const model = await openModel(o, emulatorDir);
  try {
    const plan = emulatorDir === null ? null : (await readEmulatorManifest(emulatorDir)).plan;
    const { trainableParameters } = await attachAdapter(model, o, plan ? loraLayers(plan, o.offsite!) : undefined);
    if (plan && o.offsite!.adapterTraining === 'full') await model.setLayersTrainable(plan.adapterLayersInModel, true);
    const initial = await model.exportAdapter();
    const session = await TrainSession.create(model, { optimizer: o.train.optimizer, ...(plan ? { layers: plan.adapterLayersInModel } : {}) });
    if (replicas) session.useReplicas(replicas);
    return {
      model,
      session,
      turn: new AsyncLock(),
      trainableParameters,
      initial,
      ...(plan ? { uploadNames: adapterNamesOf(plan, initial) } : {}),
      ...(replicas ? { replicas } : {}),
      dispose: async () => {
        await replicas?.close();
        await session.dispose();
        await model.dispose();
      },
    };
  } catch (error) {
    await model.dispose();
    throw error;
  }
}
