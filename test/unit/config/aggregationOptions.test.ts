/** The aggregator and personalization options: defaults per method, and the rules that span fields. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { resolveOptions, type FedTrainerOptions } from '../../../lib/config/index.js';
import { throws } from './_support.js';

const base: FedTrainerOptions = { model: { path: 'm' }, data: { type: 'gsm8k' }, federate: { clientNum: 5 } };

test('defaults: FedAvg, no server optimiser, no personalisation; per-method lambda and lr', () => {
  const o = resolveOptions(base);
  assert.equal(o.aggregator, { rule: 'fedavg', trimRatio: 0.1, byzantine: 1, normBound: 0, serverOptimizer: { type: 'none', lr: 1, momentum: 0.9, beta1: 0.9, beta2: 0.99, tau: 1e-9 } });
  assert.equal(o.personalization, { method: 'none', lambda: 0, innerSteps: 5, beta: 1, personalLr: 3e-4 });
  assert.is(resolveOptions({ ...base, personalization: { method: 'ditto' } }).personalization.lambda, 0.1);
  assert.is(resolveOptions({ ...base, personalization: { method: 'pfedme' } }).personalization.lambda, 15);
  assert.is(resolveOptions({ ...base, train: { optimizer: { lr: 1e-3 } }, personalization: { method: 'ditto' } }).personalization.personalLr, 1e-3);
});

test('cross-field rules name the field and the fix', () => {
  throws(() => resolveOptions({ ...base, federate: { clientNum: 4 }, aggregator: { rule: 'krum' } }), [/aggregator\.byzantine: krum needs more than 2f \+ 2 = 4 updates a round and a round has 4 \(lower aggregator\.byzantine or sample more clients\)/]);
  throws(() => resolveOptions({ ...base, aggregator: { rule: 'multiKrum', byzantine: 1, krumSelect: 9 } }), [/aggregator\.krumSelect: 9 is more than the 5 updates of a round/]);
  throws(() => resolveOptions({ ...base, federate: { clientNum: 5, scenario: 'local' }, aggregator: { rule: 'median' } }), [/aggregator: applies to the "fed" scenario only/]);
  throws(() => resolveOptions({ ...base, federate: { clientNum: 5, scenario: 'global' }, personalization: { method: 'ditto' } }), [/personalization\.method: ditto personalises a federated run/]);
  throws(() => resolveOptions({ ...base, personalization: { method: 'pfedme' }, aggregator: { serverOptimizer: { type: 'fedadam' } } }), [/aggregator\.serverOptimizer\.type: pFedMe's server step is its own/]);
  throws(() => resolveOptions({ ...base, offsite: { algorithm: 'fedot' }, personalization: { method: 'ditto' } }), [/personalization\.method: ditto is not available with closed-model tuning/]);
  throws(() => resolveOptions({ ...base, personalization: { method: 'pfedme', beta: 3 } }), [/personalization\.beta: expected a number in \(0, 2\]/]);
  throws(() => resolveOptions({ ...base, aggregator: { rule: 'mean' as never } }), [/aggregator\.rule: expected one of "fedavg", "median", "trimmedMean", "krum", "multiKrum"/]);
});

test.run();
