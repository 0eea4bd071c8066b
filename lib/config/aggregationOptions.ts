/**
 * The cross-field rules and per-method defaults of `aggregator.*` and `personalization.*` (resolveOptions
 * runs them with the other checks). Defaults follow the papers' and Flower's published choices.
 */
import type { ParsedOptions } from './schema.js';
import type { ResolvedOptions, ServerOptimizerName } from './types.js';

type Get = (path: string) => unknown;
type Push = (path: string, message: string) => void;

/** Server learning rate and tau per optimiser (Flower's strategy defaults, which follow Reddi et al.). */
const SERVER_DEFAULTS: Record<ServerOptimizerName, { lr: number; tau: number }> = {
  none: { lr: 1, tau: 1e-9 },
  fedavgm: { lr: 1, tau: 1e-9 },
  fedadagrad: { lr: 0.1, tau: 1e-9 },
  fedadam: { lr: 0.1, tau: 1e-9 },
  fedyogi: { lr: 0.01, tau: 1e-3 },
};

/** Ditto's lambda from FS-LLM's `personalization.regular_weight`; pFedMe's from its paper's experiments. */
const LAMBDA_DEFAULTS = { none: 0, ditto: 0.1, pfedme: 15 } as const;

/** Clients a round aggregates when every sampled one answers (undefined when the data decides the count). */
function clientsPerRound(get: Get): number | undefined {
  const clients = get('federate.clientNum');
  const sample = get('federate.sampleClients');
  const rate = get('federate.sampleRate');
  if (typeof sample === 'number') return sample;
  if (typeof clients !== 'number') return undefined;
  return typeof rate === 'number' ? Math.max(1, Math.round(rate * clients)) : clients;
}

export function aggregationCheck(get: Get, push: Push): void {
  const rule = get('aggregator.rule') ?? 'fedavg';
  const scenario = get('federate.scenario') ?? 'fed';
  const changed = rule !== 'fedavg' || (get('aggregator.serverOptimizer.type') ?? 'none') !== 'none' || Number(get('aggregator.normBound') ?? 0) > 0;
  if (changed && scenario !== 'fed') push('aggregator', `applies to the "fed" scenario only; "${String(scenario)}" does not aggregate (remove aggregator.*, or set federate.scenario: fed)`);
  if (rule === 'krum' || rule === 'multiKrum') {
    const f = Number(get('aggregator.byzantine') ?? 1);
    const k = clientsPerRound(get);
    if (k !== undefined && k <= 2 * f + 2) {
      push('aggregator.byzantine', `${rule} needs more than 2f + 2 = ${2 * f + 2} updates a round and a round has ${k} (lower aggregator.byzantine or sample more clients)`);
    }
    const m = get('aggregator.krumSelect');
    if (rule === 'multiKrum' && typeof m === 'number' && k !== undefined && m > k) push('aggregator.krumSelect', `${m} is more than the ${k} updates of a round (set at most ${k})`);
  }
  // trimRatio and byzantine carry defaults, so a resolved config holds them under every rule: only krumSelect is checked.
  if (get('aggregator.krumSelect') !== undefined && rule !== 'multiKrum') push('aggregator.krumSelect', 'only used by aggregator.rule: multiKrum (remove it, or set that rule)');
  const method = get('personalization.method') ?? 'none';
  if (method === 'none') return;
  if (scenario !== 'fed') push('personalization.method', `${String(method)} personalises a federated run; scenario "${String(scenario)}" has no global adapter (set federate.scenario: fed)`);
  if (get('offsite') !== undefined) push('personalization.method', `${String(method)} is not available with closed-model tuning (offsite); remove one of them`);
  if (method === 'pfedme' && Number(get('train.fedprox.mu') ?? 0) > 0) {
    push('train.fedprox.mu', "pFedMe's proximal term is its own (personalization.lambda); set 0, or use personalization.method: ditto");
  }
  if (method === 'pfedme' && (get('aggregator.serverOptimizer.type') ?? 'none') !== 'none') {
    push('aggregator.serverOptimizer.type', "pFedMe's server step is its own (beta mixing); set none, or use personalization.method: ditto");
  }
}

/** The aggregator and personalization sections with every default filled in. */
export function fillAggregation(p: ParsedOptions): Pick<ResolvedOptions, 'aggregator' | 'personalization'> {
  const { serverOptimizer, ...aggregator } = p.aggregator;
  const defaults = SERVER_DEFAULTS[serverOptimizer.type];
  const { lambda, ...personalization } = p.personalization;
  return {
    aggregator: { ...aggregator, serverOptimizer: { ...serverOptimizer, lr: serverOptimizer.lr ?? defaults.lr, tau: serverOptimizer.tau ?? defaults.tau } },
    personalization: {
      ...personalization,
      lambda: lambda ?? LAMBDA_DEFAULTS[personalization.method],
      personalLr: personalization.personalLr ?? p.train.optimizer.lr,
    },
  };
}
