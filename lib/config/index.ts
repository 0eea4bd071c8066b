/** Run configuration: the FedTrainer options schema, validation, FS-LLM YAML mapping and overrides. */
export type { ConfigError, ConfigIssue } from './configError.js';
export { FSLLM_KEYS, fromFsllmConfig, looksLikeFsllm } from './fsllmYaml.js';
export { loadRunConfig, type RunConfig } from './loadRunConfig.js';
export { levenshtein, nearestKey } from './nearestKey.js';
export { parseOverrides, type Override } from './overrides.js';
export { resolveOptions } from './resolveOptions.js';
export { optionsSchema, type FieldHelp } from './schema.js';
export { OPTION_DOCS, OPTION_KEYS, type OptionDoc } from './schemaKeys.js';
export * from './types.js';
