/**
 * FS-LLM's (FederatedScope's) server-side and personalisation keys: `aggregator.robust_rule` with
 * `byzantine_node_num` and `BFT_args`, `fedopt.*` (a torch optimizer stepping the global model along
 * global − average) and `personalization.*` with `federate.method: ditto | pfedme`, mapped onto our
 * `aggregator` and `personalization` options. Split from fsllmRules.ts, which maps every other key.
 */
import { show } from './configError.js';
import { accept, applyRules, choice, notEmpty, type FsContext, type Rule, type Rules } from './fsllmContext.js';
import { getPath, isPlainObject } from './objectPath.js';

// --- aggregator.*

const ROBUST_RULES = ['fedavg', 'krum', 'median', 'trimmedmean', 'normbounding', 'bulyan'];

const robustRule: Rule = (v, c, at) => {
  const rule = choice(v, c, at.path, ROBUST_RULES);
  if (rule === undefined || rule === 'fedavg') return;
  if (rule === 'bulyan') return c.unsupported(at.path, 'Bulyan is not available (use krum, median or trimmedmean)', 'aggregator.rule');
  if (rule === 'normbounding') return;   // fedavg on clipped deltas: BFT_args.normbounding_norm_bound sets the bound
  const select = Number(getPath(c.root, 'aggregator.BFT_args.krum_agg_num') ?? 1);
  c.set('aggregator.rule', rule === 'krum' ? (select > 1 ? 'multiKrum' : 'krum') : rule === 'median' ? 'median' : 'trimmedMean', at.path);
};

/** A key that only means something under one robust_rule; ignored with a note under the others. */
const forRule = (rules: readonly string[], then: Rule): Rule => (v, c, at) => {
  const rule = String(getPath(c.root, 'aggregator.robust_rule') ?? 'fedavg');
  if (rules.includes(rule)) then(v, c, at);
  else if (v !== 0 && v !== undefined) c.note(at.path, `ignored (used by robust_rule ${rules.join(' / ')}, not ${rule})`);
};

const aggregator: Rules = {
  robust_rule: robustRule,
  byzantine_node_num: forRule(['krum'], (v, c, at) => c.set('aggregator.byzantine', v, at.path)),
  BFT_args: {
    krum_agg_num: forRule(['krum'], (v, c, at) => {
      if (typeof v === 'number' && v > 1) c.set('aggregator.krumSelect', v, at.path);
    }),
    trimmedmean_excluded_ratio: forRule(['trimmedmean'], (v, c, at) => c.set('aggregator.trimRatio', v, at.path)),
    normbounding_norm_bound: forRule(['normbounding'], (v, c, at) => c.set('aggregator.normBound', v, at.path)),
  },
};

// --- fedopt.*

/**
 * FederatedScope's FedOpt steps the global model with a torch optimizer whose gradient is global − average:
 * SGD (with momentum) is FedAvgM exactly; Adagrad is FedAdagrad with beta1 0 and tau = eps; Adam maps to
 * Reddi et al.'s FedAdam, which has no bias correction (torch's Adam has).
 */
const fedopt: Rule = (v, c, at) => {
  if (!isPlainObject(v) || v.use !== true) return;
  const optimizer = isPlainObject(v.optimizer) ? v.optimizer : {};
  const type = typeof optimizer.type === 'string' ? optimizer.type.toLowerCase() : 'sgd';
  const base = `${at.path}.optimizer`;
  const lr = optimizer.lr ?? 0.01;   // FederatedScope's fedopt.optimizer.lr default
  if (v.annealing === true) c.unsupported(`${at.path}.annealing`, 'annealing the server learning rate is not available (set false)');
  if (type === 'sgd') {
    c.set('aggregator.serverOptimizer.type', 'fedavgm', `${base}.type`);
    c.set('aggregator.serverOptimizer.momentum', optimizer.momentum ?? 0, `${base}.momentum`);
  } else if (type === 'adagrad') {
    c.set('aggregator.serverOptimizer.type', 'fedadagrad', `${base}.type`);
    c.set('aggregator.serverOptimizer.beta1', 0, `${base}.type`);
    c.set('aggregator.serverOptimizer.tau', optimizer.eps ?? 1e-10, `${base}.eps`);
  } else if (type === 'adam') {
    c.set('aggregator.serverOptimizer.type', 'fedadam', `${base}.type`);
    const betas = Array.isArray(optimizer.betas) ? optimizer.betas : [0.9, 0.999];
    c.set('aggregator.serverOptimizer.beta1', betas[0], `${base}.betas`);
    c.set('aggregator.serverOptimizer.beta2', betas[1], `${base}.betas`);
    c.set('aggregator.serverOptimizer.tau', optimizer.eps ?? 1e-8, `${base}.eps`);
    c.note(`${base}.type`, 'Adam runs as FedAdam (Reddi et al.): no bias correction, unlike torch.optim.Adam');
  } else {
    return c.unsupported(`${base}.type`, `server optimizer ${show(optimizer.type)} is not available (use SGD, Adagrad or Adam; or our aggregator.serverOptimizer.type: fedyogi)`, 'aggregator.serverOptimizer.type');
  }
  c.set('aggregator.serverOptimizer.lr', lr, `${base}.lr`);
};

// --- personalization.*, federate.method

/** Sets the personalised method from `federate.method`, with FS-LLM's regular_weight default (0.1) when the file has none. */
export function personalizedMethod(method: 'ditto' | 'pfedme', c: FsContext, fsPath: string): void {
  c.set('personalization.method', method, fsPath);
  if (getPath(c.root, 'personalization.regular_weight') === undefined && !c.partial) c.set('personalization.lambda', 0.1, fsPath);
}

const positive = (ourPath: string): Rule => (v, c, at) => {
  if (typeof v === 'number' && v > 0) c.set(ourPath, v, at.path);   // FS-LLM's -1: the train.* value
};

const personalizationKeys: Rules = {
  local_update_steps: positive('personalization.localSteps'),
  regular_weight: (v, c, at) => c.set('personalization.lambda', v, at.path),
  lr: positive('personalization.personalLr'),
  K: (v, c, at) => c.set('personalization.innerSteps', v, at.path),
  beta: (v, c, at) => c.set('personalization.beta', v, at.path),
  share_non_trainable_para: accept,   // an adapter has no non-trainable parameters
  local_param: (v, c, at) => {
    if (notEmpty(v)) c.unsupported(at.path, 'keeping some parameters local (FedBN-style) is not available (leave local_param empty)');
  },
  ...Object.fromEntries(['epoch_feature', 'epoch_linear', 'lr_feature', 'lr_linear', 'weight_decay'].map((k) => [k, accept])),   // FedRep only
};

/**
 * One rule for the whole section, so its keys stay out of FSLLM_KEYS: `personalization.lr` there would be the
 * nearest key to a bare `lr` override, ahead of train.optimizer.lr.
 */
const personalization: Rule = (v, c, at) => {
  if (isPlainObject(v)) applyRules(v, personalizationKeys, at.path, c);
  else if (v !== null && v !== undefined) c.bad(at.path, `expected a mapping of options, got ${show(v)}`);
};

export const aggregationRules: Rules = { aggregator, fedopt, personalization };
