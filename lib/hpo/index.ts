/** Hyper-parameter search over federated runs (FedHPO): grid, random search and successive halving. */
export { runHpo, configOverrides, type HpoEvent, type RunHpoOptions } from './runHpo.js';
export { loadHpoSettings, type HpoChoices, type LoadHpoSettingsOptions } from './loadHpoSettings.js';
export { parseSearchSpace } from './searchSpace.js';
export { gridConfigs, sampleConfigs } from './sampling.js';
export { parseObjective, readObjective } from './objective.js';
export { defaultBudgets, keepCount, promote, rungCounts, shaTotalRounds } from './schedulers.js';
export { fsllmHpoSettings, fsllmObjective } from './fsllmHpo.js';
export { renderHpoReport, type HpoReportInput } from './hpoReport.js';
export type { HpoPlan, PlannedTrial } from './hpoPlan.js';
export type { BestSummary } from './hpoResults.js';
export * from './types.js';
