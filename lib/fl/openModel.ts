/**
 * The base model a run trains on, on the run's device: the full model from `model.path`, or, in closed-model
 * tuning, the emulator folder (all a client ever gets). Used by the in-process trainer, client processes
 * and distributed clients alike.
 */
import type { ResolvedOptions } from '../config/index.js';
import { Model } from '../native/Model.js';
import { loadEmulator } from '../emulator/loadEmulator.js';

export function openModel(o: ResolvedOptions, emulatorDir: string | null = null): Promise<Model> {
  const load = { device: o.model.device, baseDtype: o.model.baseDtype };
  return emulatorDir === null ? Model.load(o.model.path, load) : loadEmulator(emulatorDir, load);
}
