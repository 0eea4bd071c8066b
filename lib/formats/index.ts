/**
 * Checkpoint formats: header parsers that locate tensors for the native loader, and the writers
 * (safetensors, Hugging Face config.json). Public exports only.
 */
export { openCheckpoint } from './openCheckpoint.js';
export { checkpointError, invalidArgError, type FormatError, type FormatErrorCode } from './errors.js';
export { readHfFolder } from './hfFolder.js';
export { modelConfigFromHf, SUPPORTED_HF_MODEL_TYPES } from './hfConfig.js';
export {
  readSafetensors,
  readSafetensorsHeader,
  safetensorsDType,
  safetensorsSource,
  type SafetensorsData,
  type SafetensorsDType,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsTensor,
} from './safetensors.js';
export { writeSafetensors } from './writeSafetensors.js';
export { hfConfigFromModel } from './writeHfConfig.js';
export { readGguf, type GgufArray, type GgufFile, type GgufTensorInfo, type GgufValue } from './gguf.js';
export { ggufToCheckpoint, readGgufCheckpoint, SUPPORTED_GGUF_ARCHITECTURES } from './ggufCheckpoint.js';
export { ggufTokenizer, type GgufTokenizer } from './ggufTokenizer.js';
export { readLlama2c, type Llama2cHeader } from './llama2c.js';
export { requiredTensorNames } from './requiredTensors.js';
export type {
  Checkpoint,
  ModelConfig,
  ModelFamily,
  RopeScaling,
  StoredDType,
  TensorSource,
  TensorTransform,
} from './types.js';
