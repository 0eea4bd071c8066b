/**
 * FS-LLM keys of the model, the local training and evaluation (`model`, `train`, `grad`, `eval`,
 * `early_stop`, `fedprox`): see fsllmRules.ts for the conventions.
 */
import { show } from './configError.js';
import { accept, choice, flag, isTrue, notEmpty, noteIf, to, type Rule, type Rules } from './fsllmContext.js';
import { gradAccum } from './fsllmRules.js';

const modelType: Rule = (v, c, at) => {
  if (typeof v !== 'string' || v === '') return c.bad(at.path, `expected a model such as "gpt2@huggingface_llm", got ${show(v)}`, 'model');
  const cut = v.lastIndexOf('@');
  const [where, hub] = cut < 0 ? [v, undefined] : [v.slice(0, cut), v.slice(cut + 1)];
  if (hub !== undefined && hub !== 'huggingface_llm' && hub !== 'modelscope_llm') {
    return c.bad(at.path, `${show(v)} is not an LLM (FS-LLM names end in @huggingface_llm or @modelscope_llm)`, 'model');
  }
  c.set('model.path', where, at.path);
};

// --- train.*

const localUpdateSteps: Rule = (v, c, at) => {
  const epochs = at.siblings.batch_or_epoch === 'epoch';
  c.set(epochs ? 'train.localEpochs' : 'train.localSteps', v, at.path);
  c.set(epochs ? 'train.localSteps' : 'train.localEpochs', undefined, at.path);
};

const optimizerType: Rule = (v, c, at) => {
  const t = typeof v === 'string' ? v.toLowerCase() : '';
  if (t !== 'sgd' && t !== 'adam' && t !== 'adamw') {
    return c.unsupported(at.path, `optimizer ${show(v)} is not available (use SGD, Adam or AdamW)`, 'train.optimizer.type');
  }
  c.set('train.optimizer.type', t === 'sgd' ? 'sgd' : 'adamw', at.path);
  if (t !== 'adam') return;
  const wd = at.siblings.weight_decay;
  if (typeof wd === 'number' && wd > 0) c.note(at.path, 'Adam is run as AdamW: weight_decay is applied decoupled, not as an L2 term');
  else if (wd === undefined && !c.partial) c.set('train.optimizer.weightDecay', 0, at.path);   // torch Adam's default
};

const betas: Rule = (v, c, at) => {
  if (!Array.isArray(v) || v.length !== 2) return c.bad(at.path, `expected [beta1, beta2], got ${show(v)} (set e.g. [0.9, 0.999])`);
  c.set('train.optimizer.beta1', v[0], at.path);
  c.set('train.optimizer.beta2', v[1], at.path);
};

const schedulerType: Rule = (v, c, at) => {
  const t = typeof v === 'string' ? v.toLowerCase() : v;
  if (t === '' || t === 'constant' || t === 'constant_with_warmup') c.set('train.scheduler.type', 'constant', at.path);
  else if (t === 'linear' || t === 'cosine') c.set('train.scheduler.type', t, at.path);
  else c.unsupported(at.path, `scheduler ${show(v)} is not available (use "", constant, linear or cosine)`, 'train.scheduler.type');
};

const train: Rules = {
  local_update_steps: localUpdateSteps,
  batch_or_epoch: (v, c, at) => {
    if (choice(v, c, at.path, ['batch', 'epoch']) === undefined) return;
    if (c.partial && at.siblings.local_update_steps === undefined) {
      c.bad(at.path, 'needs train.local_update_steps alongside (or set train.localSteps / train.localEpochs)');
    }
  },
  optimizer: {
    type: optimizerType,
    lr: to('train.optimizer.lr'),
    weight_decay: to('train.optimizer.weightDecay'),
    momentum: to('train.optimizer.momentum'),
    nesterov: to('train.optimizer.nesterov'),
    eps: to('train.optimizer.eps'),
    betas,
    amsgrad: (v, c, at) => {
      if (v === true) c.unsupported(at.path, 'AMSGrad is not available (set false)');
    },
  },
  scheduler: { type: schedulerType, warmup_ratio: to('train.scheduler.warmupRatio') },
  is_enable_half: flag((v, c, p) => {
    c.set('train.precision', v ? 'fp16' : 'fp32', p);
    c.set('model.baseDtype', v ? 'fp16' : 'fp32', p);
    if (v) c.note(p, 'stores the frozen base in fp16 and trains in mixed fp16 with loss scaling (FS-LLM casts the whole model to fp16; LoRA weights stay fp32 here)');
  }),
  data_para_dids: (v, c, at) => {
    if (!Array.isArray(v)) return c.bad(at.path, `expected a list of device ids such as [0, 1], got ${show(v)}`);
    if (v.length < 2) return;
    c.set('train.dataParallel.processes', v.length, at.path);
    c.note(at.path, `each client trains as ${v.length} data-parallel processes (c10d), one per listed device`);
  },
};

const grad: Rules = {
  grad_clip: (v, c, at) => c.set('train.maxGradNorm', typeof v === 'number' && v < 0 ? 0 : v, at.path),
  grad_accum_count: gradAccum('llm.grad_accum_step'),
};

// --- eval.*, early_stop.*, fedprox.*

const evalMetrics: Rule = (v, c, at) => {
  if (!Array.isArray(v)) return c.bad(at.path, `expected a list such as ['loss'], got ${show(v)}`);
  // Loss and perplexity are recorded in every evaluation; task scores are eval.tasks (FS-LLM ran them as scripts).
  for (const m of v.filter((m) => !['loss', 'ppl', 'perplexity'].includes(m))) {
    c.note(at.path, `${show(m)} ignored (every evaluation records loss and perplexity; for task scores add eval.tasks, e.g. [{ type: gsm8k }])`);
  }
};

const evalSplit: Rule = (v, c, at) => {
  if (!Array.isArray(v)) return c.bad(at.path, `expected a list such as ['val', 'test'], got ${show(v)}`);
  const kept = v.filter((s) => s === 'val' || s === 'test');
  if (v.includes('train')) c.note(at.path, '"train" ignored (the training split is not evaluated)');
  for (const s of v.filter((s) => s !== 'val' && s !== 'test' && s !== 'train')) c.bad(at.path, `unknown split ${show(s)} (use val and/or test)`);
  c.set('eval.splits', kept, at.path);
};

const bestKey: Rule = (v, c, at) => {
  const m = typeof v === 'string' ? /^(val|test)_(avg_)?loss$/.exec(v) : null;
  if (m) c.set('eval.bestKey', `${m[1]}_loss`, at.path);
  else c.bad(at.path, `expected val_loss or test_loss, got ${show(v)} (the best round is picked by loss)`, 'eval.bestKey');
};

const evaluation: Rules = {
  freq: to('eval.every'),
  metrics: evalMetrics,
  split: evalSplit,
  best_res_update_round_wise_key: bestKey,
  count_flops: noteIf(isTrue, 'ignored (FLOPs are not counted; cost.json records bytes on the wire, time per step and peak memory)'),
  report: noteIf(notEmpty, 'ignored (the report always lists every client and the weighted average)'),
  monitoring: noteIf(notEmpty, 'ignored (cost metrics are always recorded)'),
  base: accept,
};

const earlyStop: Rules = {
  patience: to('eval.earlyStop.patience'),
  delta: to('eval.earlyStop.delta'),
  improve_indicator_mode: noteIf((v) => v !== 'best', 'ignored (improvement is measured against the best value so far, as "best")'),
};

const fedprox: Rules = {
  use: (v, c, at) => {
    if (v !== true) c.set('train.fedprox.mu', 0, at.path);
  },
  mu: (v, c, at) => {
    const use = at.siblings.use;
    if (use === true || (c.partial && use === undefined)) c.set('train.fedprox.mu', v, at.path);
    else c.note(at.path, 'ignored because fedprox.use is not true');
  },
};

export const trainRules: Rules = { model: { type: modelType }, train, grad, eval: evaluation, early_stop: earlyStop, fedprox };
