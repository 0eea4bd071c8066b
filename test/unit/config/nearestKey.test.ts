import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { FSLLM_KEYS, levenshtein, nearestKey, OPTION_KEYS } from '../../../lib/config/index.js';

const lev = suite('levenshtein');

const table: Array<[string, string, number]> = [
  ['', '', 0], ['abc', '', 3], ['', 'ab', 2], ['kitten', 'sitting', 3], ['flaw', 'lawn', 2], ['lr', 'lr', 0], ['ab', 'ba', 2],
];
for (const [a, b, d] of table) {
  lev(`should count edits :: ${JSON.stringify(a)} → ${JSON.stringify(b)}`, () => {
    assert.is(levenshtein(a, b), d);
    assert.is(levenshtein(b, a), d, 'symmetric');
  });
}

lev.run();

// ---

const near = suite('nearestKey');

near('should ignore case, underscores and dashes', () => {
  assert.is(nearestKey('client_num', ['clientNum', 'totalRounds']), 'clientNum');
  assert.is(nearestKey('clientnum', ['clientNum']), 'clientNum');
  assert.is(nearestKey('alpaca-cleaned', ['alpaca_cleaned', 'alpaca']), 'alpaca_cleaned');
});

near('should prefer the smallest distance, then the raw one', () => {
  assert.is(nearestKey('batchSize', ['batchsize', 'batchSize']), 'batchSize');
  assert.is(nearestKey('warmupStep', ['warmupSteps', 'warmupRatio']), 'warmupSteps');
});

near('should accept a prefix of three or more letters', () => {
  assert.is(nearestKey('frequency', ['freq', 'metrics']), 'freq');
  assert.is(nearestKey('dolly', ['dolly-15k', 'gsm8k']), 'dolly-15k');
});

near('should match a name by its words when the user leaves some out', () => {
  assert.is(nearestKey('rounds', ['mode', 'clientNum', 'totalRounds']), 'totalRounds');
  assert.is(nearestKey('steps', ['localSteps', 'localEpochs']), 'localSteps');
  assert.is(nearestKey('num_clients', ['minClients', 'clientNum', 'sampleClients']), 'clientNum', 'word order does not matter');
  assert.is(nearestKey('warmup', ['type', 'warmupSteps', 'warmupRatio']), 'warmupSteps', 'a tie goes to the earlier');
});

near('should read a multi-word name as its initials', () => {
  assert.is(nearestKey('learningRate', ['type', 'lr', 'weightDecay']), 'lr');
  assert.is(nearestKey('learning_rate', ['lr', 'eps']), 'lr');
});

// Override keys are compared with every dotted key of both vocabularies, as the CLI does.
const ALL = [...OPTION_KEYS, ...FSLLM_KEYS];
const meant: Array<[typed: string, expected: string]> = [
  ['federate.rounds', 'federate.totalRounds'],
  ['rounds', 'federate.totalRounds'],
  ['federate.num_rounds', 'federate.total_round_num'],
  ['lr', 'train.optimizer.lr'],
  ['train.lr', 'train.optimizer.lr'],
  ['train.optimizer.learning_rate', 'train.optimizer.lr'],
  ['federate.clientnum', 'federate.clientNum'],
  ['federate.num_clients', 'federate.clientNum'],
  ['train.batch_size', 'train.batchSize'],
  ['train.local_steps', 'train.localSteps'],
  ['train.epochs', 'train.localEpochs'],
  ['train.warmup', 'train.scheduler.warmupSteps'],
  ['data.tok_len', 'data.tokLen'],
  ['output.directory', 'output.dir'],
  ['distribute.tls.certificate', 'distribute.tls.cert'],
  ['dataloader.batchsize', 'dataloader.batch_size'],
];
for (const [typed, expected] of meant) {
  near(`should suggest the key a user means :: ${typed} → ${expected}`, () => {
    assert.is(nearestKey(typed, ALL), expected);
  });
}

near('should not let a shared prefix make an unrelated name close', () => {
  assert.is.not(nearestKey('federate.rounds', ALL), 'federate.mode');
  assert.is.not(nearestKey('train.lr', ALL), 'trainer');
});

near('should give nothing when no candidate is close', () => {
  assert.is(nearestKey('zzzzzz', ['model', 'data']), undefined);
  assert.is(nearestKey('x', []), undefined);
  assert.is(nearestKey('rank', ['method', 'r', 'alpha', 'dropout', 'targets']), undefined, 'one letter in common is not a match');
  assert.is(nearestKey('zzzz', ALL), undefined);
});

near.run();
