/**
 * The model a client trains on, set up the same way wherever the client runs (in the trainer's process, in
 * a child process, or as a distributed client): the base model with LoRA attached and an optimizer session.
 * In closed-model tuning it is the emulator, whose manifest says which layers carry LoRA, which train, and
 * which tensors a client uploads.
 */
import type { ResolvedOptions } from '../config/index.js';
import { readEmulatorManifest } from '../emulator/index.js';
import { TrainSession, type AdapterState } from '../native/index.js';
import { normalizeLora } from '../native/lora.js';
import { AsyncLock } from '../util/lock.js';
import type { SharedModel } from './Client.js';
import { adapterNamesOf, loraLayers } from './offsite/offsiteSetup.js';
import { openModel } from './openModel.js';

export interface ClientModel extends SharedModel {
  /** The LoRA configuration attached (with its layers in closed-model tuning): checkpoints and saved adapters record it. */
  lora: ReturnType<typeof normalizeLora>;
  trainableParameters: number;
  /** The adapter as attached, before any training. */
  initial: AdapterState;
  /** Closed-model tuning: the adapter-layer tensors clients train and upload (absent: the whole adapter). */
  uploadNames?: ReadonlySet<string>;
  /** Disposes the session, then the model. */
  dispose(): Promise<void>;
}

/**
 * Opens the client model of a run: `o.model.path`, or the emulator in `emulatorDir` (closed-model tuning,
 * where `o.offsite` must be set).
 */
export async function openClientModel(o: ResolvedOptions, emulatorDir: string | null = null): Promise<ClientModel> {
  const model = await openModel(o, emulatorDir);
  try {
    const plan = emulatorDir === null ? null : (await readEmulatorManifest(emulatorDir)).plan;
    const lora = normalizeLora({ ...o.adapter, seed: o.federate.seed, ...(plan ? { layers: loraLayers(plan, o.offsite!) } : {}) }, 'adapter');
    const { trainableParameters } = await model.attachLora(lora);
    if (plan && o.offsite!.adapterTraining === 'full') await model.setLayersTrainable(plan.adapterLayersInModel, true);
    const initial = await model.exportAdapter();
    const session = await TrainSession.create(model, { optimizer: o.train.optimizer, ...(plan ? { layers: plan.adapterLayersInModel } : {}) });
    return {
      model,
      session,
      turn: new AsyncLock(),
      lora,
      trainableParameters,
      initial,
      ...(plan ? { uploadNames: adapterNamesOf(plan, initial) } : {}),
      dispose: async () => {
        await session.dispose();
        await model.dispose();
      },
    };
  } catch (error) {
    await model.dispose();
    throw error;
  }
}
