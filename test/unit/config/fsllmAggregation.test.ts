/** FS-LLM's aggregator.*, fedopt.*, personalization.* and federate.method ditto/pfedme, mapped onto our options. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { fromFsllmConfig, resolveOptions } from '../../../lib/config/index.js';
import { throws } from './_support.js';

function translate(patch: Record<string, unknown>) {
  const { options, ignored } = fromFsllmConfig({
    federate: { client_num: 5, total_round_num: 3 },
    data: { type: 'gsm8k@llm', splitter: 'iid' },
    model: { type: 'gpt2@huggingface_llm' },
    train: { local_update_steps: 3, batch_or_epoch: 'batch', optimizer: { type: 'AdamW', lr: 1e-3 } },
    ...patch,
  });
  return { o: resolveOptions(options), ignored };
}

test('robust rules and their BFT_args', () => {
  assert.equal(translate({ aggregator: { robust_rule: 'median' } }).o.aggregator.rule, 'median');
  const trimmed = translate({ aggregator: { robust_rule: 'trimmedmean', BFT_args: { trimmedmean_excluded_ratio: 0.2 } } }).o.aggregator;
  assert.equal([trimmed.rule, trimmed.trimRatio], ['trimmedMean', 0.2]);
  const krum = translate({ aggregator: { robust_rule: 'krum', byzantine_node_num: 1 } }).o.aggregator;
  assert.equal([krum.rule, krum.byzantine], ['krum', 1]);
  const multi = translate({ aggregator: { robust_rule: 'krum', byzantine_node_num: 1, BFT_args: { krum_agg_num: 3 } } }).o.aggregator;
  assert.equal([multi.rule, multi.krumSelect], ['multiKrum', 3]);
  const bounded = translate({ aggregator: { robust_rule: 'normbounding', BFT_args: { normbounding_norm_bound: 5 } } }).o.aggregator;
  assert.equal([bounded.rule, bounded.normBound], ['fedavg', 5]);
  const { ignored } = translate({ aggregator: { robust_rule: 'median', byzantine_node_num: 1 } });
  assert.ok(ignored.some((n) => /aggregator\.byzantine_node_num: ignored \(used by robust_rule krum, not median\)/.test(n)), ignored.join('\n'));
  // K = 5 cannot hold f = 2 (needs K > 2f + 2).
  throws(() => resolveOptions(fromFsllmConfig({
    federate: { client_num: 5 }, data: { type: 'gsm8k@llm', splitter: 'iid' }, model: { type: 'gpt2@huggingface_llm' },
    aggregator: { robust_rule: 'krum', byzantine_node_num: 2 },
  }).options), [/aggregator\.byzantine: krum needs more than 2f \+ 2 = 6 updates a round and a round has 5/]);
});

test('fedopt: SGD is FedAvgM, Adagrad FedAdagrad without momentum, Adam FedAdam (noted)', () => {
  assert.equal(translate({ fedopt: { use: true, optimizer: { type: 'SGD', lr: 0.5, momentum: 0.9 } } }).o.aggregator.serverOptimizer,
    { type: 'fedavgm', lr: 0.5, momentum: 0.9, beta1: 0.9, beta2: 0.99, tau: 1e-9 });
  assert.equal(translate({ fedopt: { use: true } }).o.aggregator.serverOptimizer.lr, 0.01, "FederatedScope's default server lr");
  const adagrad = translate({ fedopt: { use: true, optimizer: { type: 'Adagrad', lr: 0.1 } } }).o.aggregator.serverOptimizer;
  assert.equal([adagrad.type, adagrad.beta1, adagrad.tau], ['fedadagrad', 0, 1e-10]);
  const adam = translate({ fedopt: { use: true, optimizer: { type: 'Adam', lr: 0.01, betas: [0.8, 0.95] } } });
  assert.equal([adam.o.aggregator.serverOptimizer.type, adam.o.aggregator.serverOptimizer.beta1, adam.o.aggregator.serverOptimizer.beta2], ['fedadam', 0.8, 0.95]);
  assert.ok(adam.ignored.some((n) => /no bias correction/.test(n)));
  assert.is(translate({ fedopt: { use: false, optimizer: { type: 'Adam' } } }).o.aggregator.serverOptimizer.type, 'none');
});

test('federate.method ditto / pfedme with personalization.*', () => {
  const ditto = translate({ federate: { client_num: 3, method: 'Ditto' }, personalization: { local_update_steps: 4, regular_weight: 0.5, lr: 1e-4 } }).o.personalization;
  assert.equal({ ...ditto }, { method: 'ditto', lambda: 0.5, localSteps: 4, innerSteps: 5, beta: 1, personalLr: 1e-4 });
  const pfedme = translate({ federate: { client_num: 3, method: 'pFedMe' }, personalization: { K: 3, beta: 1.5, local_update_steps: -1, lr: -1 } }).o.personalization;
  // FS-LLM's regular_weight default (0.1) when the file has none; -1 means the train.* value.
  assert.equal({ ...pfedme }, { method: 'pfedme', lambda: 0.1, innerSteps: 3, beta: 1.5, personalLr: 1e-3 });
  throws(() => fromFsllmConfig({ model: { type: 'gpt2@huggingface_llm' }, data: { type: 'gsm8k@llm' }, personalization: { local_param: ['norm'] } }),
    [/personalization\.local_param: keeping some parameters local/], 'ERR_FSLLM_UNSUPPORTED');
});

test.run();
