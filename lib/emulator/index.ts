/** The emulator of offsite-tuning (FedOT) and FedBiOT: layer plans, and the emulator model artefact built, read and loaded. Public exports only. */
export {
  planEmulator,
  type EmulatorPlan,
  type EmulatorPlanOptions,
  type FedBiotPlanOptions,
  type FedOtPlanOptions,
  type LayerRounding,
} from './layerPlan.js';
export { buildEmulator, type EmulatorInfo } from './buildEmulator.js';
export { readEmulatorManifest, EMULATOR_MANIFEST, type EmulatorManifest, type EmulatorSourceFile } from './emulatorManifest.js';
export { loadEmulator } from './loadEmulator.js';
export { adapterTensorNameMap, type AdapterNameDirection } from './remapAdapter.js';
