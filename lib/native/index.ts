/** The native core as TS classes. Public exports only. */
export { Model } from './Model.js';
export type { LoadModelOptions } from './loadModelOptions.js';
export { type FinishReason, type GenerateBatchOptions, type GenerateOptions, type GenerateResult, type GenerateRow, type GenerateRowId } from './generateOptions.js';
export { type GeneratePrompt } from './generate.js';
export { checkDevice, type Device } from './device.js';
export { BASE_DTYPES, checkBaseDtype, type BaseDtype } from './baseDtype.js';
export { manualSeed } from './manualSeed.js';
export { setNumThreads } from './threads.js';
export { TrainSession, type OptimizerOptions, type ReplicaProvider, type StepMetrics, type StepOptions, type TrainSessionOptions } from './TrainSession.js';
export { ReplicaGroup, type ReplicaGroupOptions } from './ReplicaGroup.js';
export { type AlignMetrics, type AlignStepOptions } from './alignStep.js';
export { loadAdapter, saveAdapter, ADAPTER_CONFIG, ADAPTER_WEIGHTS } from './peftAdapter.js';
export { type AdapterState, sliceOf } from './adapterState.js';
export { type LoraOptions } from './lora.js';
export { type PromptEncoder, type PromptInit, type PromptMethod, type PromptOptions } from './prompt.js';
export { binding, NATIVE_BINDING_KEYS, type NativeBinding, type ManifestEntry, type Precision, type RawBatch, type RuntimeInfo } from './binding.js';
export type { ReplicaTraffic } from './rawReplicaGroup.js';
