// Evaluation on the server, without a model: merging the clients' split losses into records, merging task
// scores on the clients' held-out records, leaving out a split with no examples, and best-round tracking with
// its fallback when bestKey's split is empty.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { SplitLoss } from '../../../lib/comm/messages.js';
import { BestRound } from '../../../lib/fl/BestRound.js';
import { dropEmptySplits, mergeEvaluation, mergeHeldOutScores } from '../../../lib/fl/mergeEvaluation.js';
import type { EvalRecord } from '../../../lib/report/records.js';

const answers = (entries: [number, SplitLoss[]][]) => new Map(entries);
const loss = (split: 'val' | 'test', lossSum: number, tokens: number): SplitLoss => ({ split, lossSum, tokens });

const merge = suite('mergeEvaluation');

merge('should give per-client, token-weighted global and plain mean records', () => {
  const records = mergeEvaluation(3, [1, 2], answers([[1, [loss('test', 10, 5)]], [2, [loss('test', 30, 10)]]]));
  assert.equal(records.map((r) => [r.target, r.value, r.count]), [[1, 2, 5], [2, 3, 10], ['global', 40 / 15, 15], ['mean', 2.5, 15]]);
  assert.ok(records.every((r) => r.round === 3 && r.split === 'test' && r.metric === 'loss' && !('variant' in r)));
});

merge('should label every record with the variant :: AdapEmu', () => {
  const records = mergeEvaluation(1, [1], answers([[1, [loss('val', 4, 2)]]]), 'AdapEmu');
  assert.ok(records.every((r) => r.variant === 'AdapEmu'));
});

merge('should leave a client without examples out of the mean', () => {
  const records = mergeEvaluation(1, [1, 2], answers([[1, [loss('val', 4, 2)]], [2, [loss('val', 0, 0)]]]));
  assert.ok(Number.isNaN(records.find((r) => r.target === 2)!.value));
  assert.is(records.find((r) => r.target === 'mean')!.value, 2);
});

merge.run();

// ---

const heldOut = suite('mergeHeldOutScores');
const rouge = (target: number, value: number, count: number, variant?: string): EvalRecord =>
  ({ kind: 'eval', round: 2, target, split: 'test', metric: 'rouge.rougeL', value, count, ...(variant ? { variant } : {}) });

heldOut('should weight each client by the records it scored, not average the client means', () => {
  const [merged, ...rest] = mergeHeldOutScores(2, [rouge(1, 0.5, 1), rouge(2, 0.2, 3)]);
  assert.is(rest.length, 0);
  assert.equal(merged, { kind: 'eval', round: 2, target: 'global', split: 'test', metric: 'rouge.rougeL', value: (0.5 + 3 * 0.2) / 4, count: 4 });
  assert.is.not(merged!.value, (0.5 + 0.2) / 2);
});

heldOut('should merge each variant on its own and skip clients without records', () => {
  const merged = mergeHeldOutScores(2, [rouge(1, 0.4, 2, 'AdapEmu'), rouge(2, NaN, 0, 'AdapEmu'), rouge(1, 0.1, 2, 'AdapFu')]);
  assert.equal(merged.map((r) => [r.variant, r.value, r.count]), [['AdapEmu', 0.4, 2], ['AdapFu', 0.1, 2]]);
});

heldOut('should give NaN over count 0 when no client had a record', () => {
  const [merged] = mergeHeldOutScores(0, [rouge(1, NaN, 0), rouge(2, NaN, 0)]);
  assert.ok(Number.isNaN(merged!.value));
  assert.is(merged!.count, 0);
});

heldOut.run();

// ---

const drop = suite('dropEmptySplits');

drop('should drop a split no client has examples of, and name it', () => {
  const records = mergeEvaluation(0, [1, 2], answers([
    [1, [loss('val', 0, 0), loss('test', 6, 3)]],
    [2, [loss('val', 0, 0), loss('test', 2, 1)]],
  ]));
  const { kept, empty } = dropEmptySplits(records);
  assert.equal(empty, ['val']);
  assert.ok(kept.length > 0 && kept.every((r) => r.split === 'test'));
  assert.ok(kept.every((r) => Number.isFinite(r.value)));
});

drop('should keep a split that some client has examples of', () => {
  const records = mergeEvaluation(0, [1, 2], answers([[1, [loss('val', 0, 0)]], [2, [loss('val', 3, 3)]]]));
  assert.equal(dropEmptySplits(records).empty, []);
  assert.is(dropEmptySplits(records).kept.length, records.length);
});

drop.run();

// ---

const best = suite('BestRound');

const globalLoss = (round: number, split: 'val' | 'test', value: number, variant?: string): EvalRecord =>
  ({ kind: 'eval', round, target: 'global', split, metric: 'loss', value, count: 10, ...(variant ? { variant } : {}) });

best('should follow bestKey and stop after patience evaluations without improvement', () => {
  const warnings: string[] = [];
  const tracker = new BestRound({ bestKey: 'val_loss', earlyStop: { patience: 2, delta: 0 } }, (m) => warnings.push(m));
  assert.is(tracker.update(0, [globalLoss(0, 'val', 3), globalLoss(0, 'test', 1)]), false);
  assert.is(tracker.update(1, [globalLoss(1, 'val', 2.5), globalLoss(1, 'test', 5)]), false);
  assert.is(tracker.update(2, [globalLoss(2, 'val', 2.6), globalLoss(2, 'test', 0.5)]), false);
  assert.is(tracker.update(3, [globalLoss(3, 'val', 2.7), globalLoss(3, 'test', 0.4)]), true);
  assert.equal(tracker.state, { best: { round: 1, value: 2.5 }, sinceBest: 2 });
  assert.is(tracker.key, 'val_loss');
  assert.equal(warnings, []);
});

best('should fall back to the split with examples, and say so once', () => {
  const warnings: string[] = [];
  const tracker = new BestRound({ bestKey: 'val_loss', earlyStop: { patience: 1, delta: 0 } }, (m) => warnings.push(m));
  assert.is(tracker.update(0, [globalLoss(0, 'test', 2)]), false);
  assert.is(tracker.update(1, [globalLoss(1, 'test', 2.1)]), true, 'early stopping follows test');
  assert.equal(tracker.state.best, { round: 0, value: 2 });
  assert.is(tracker.key, 'test_loss');
  assert.is(warnings.length, 2, 'the caller dedupes: the same text each time');
  assert.is(new Set(warnings).size, 1);
  assert.match(warnings[0]!, /eval\.bestKey is val_loss, but the val split has no examples; the best round and early stopping follow the test loss instead/);
});

best('should ignore unmeasured records and other variants', () => {
  const tracker = new BestRound({ bestKey: 'test_loss', bestVariant: 'AdapFu', earlyStop: { patience: 0, delta: 0 } }, () => {});
  tracker.update(0, [{ ...globalLoss(0, 'test', Number.NaN, 'AdapFu'), count: 0 }, globalLoss(0, 'test', 1, 'AdapEmu')]);
  assert.is(tracker.state.best, null);
  tracker.update(1, [globalLoss(1, 'test', 4, 'AdapFu')]);
  assert.equal(tracker.state.best, { round: 1, value: 4 });
});

best('should continue from a restored state', () => {
  const tracker = new BestRound({ bestKey: 'test_loss', earlyStop: { patience: 2, delta: 0.5 } }, () => {});
  tracker.restore({ best: { round: 4, value: 1 }, sinceBest: 1 });
  assert.is(tracker.update(5, [globalLoss(5, 'test', 0.9)]), true, 'not better by more than delta');
});

best('should follow a task metric upwards, ignoring losses and rounds without the task', () => {
  const score = (round: number, value: number, variant?: string): EvalRecord =>
    ({ kind: 'eval', round, target: 'global', split: 'test', metric: 'gsm8k.accuracy', value, count: 40, ...(variant ? { variant } : {}) });
  const tracker = new BestRound({ bestKey: 'gsm8k.accuracy', earlyStop: { patience: 2, delta: 0.01 } }, () => {});
  assert.is(tracker.update(0, [score(0, 0.1), globalLoss(0, 'test', 3)]), false);
  assert.is(tracker.update(1, [score(1, 0.2), globalLoss(1, 'test', 9)]), false, 'a worse loss does not matter');
  assert.is(tracker.update(2, [globalLoss(2, 'test', 0.1)]), false, 'no score this round: nothing counted');
  assert.equal(tracker.state, { best: { round: 1, value: 0.2 }, sinceBest: 0 });
  assert.is(tracker.update(3, [score(3, 0.205)]), false, 'not better by more than delta');
  assert.is(tracker.update(4, [score(4, 0.15)]), true);
  assert.equal(tracker.state.best, { round: 1, value: 0.2 });
  assert.is(tracker.key, 'gsm8k.accuracy');
});

best('should pick the loss, not a task score on the same split', () => {
  const tracker = new BestRound({ bestKey: 'test_loss', earlyStop: { patience: 0, delta: 0 } }, () => {});
  tracker.update(0, [{ ...globalLoss(0, 'test', 0.9), metric: 'gsm8k.accuracy' }, globalLoss(0, 'test', 2)]);
  assert.equal(tracker.state.best, { round: 0, value: 2 });
});

best.run();
