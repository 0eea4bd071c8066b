// Client updates on the server, without a model: the checks every message kind passes (a refusal names the
// reason), adapter parts (closed-model tuning uploads), and folding a round's updates into FedAvg.
import { EventEmitter } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { Aggregator } from '../../../lib/aggregate/aggregator.js';
import { fedAvg } from '../../../lib/aggregate/fedAvg.js';
import { encodeAdapter } from '../../../lib/comm/adapterFrame.js';
import { isPartOf, partOf, withPart } from '../../../lib/fl/adapterParts.js';
import { checkMetrics, checkSender, checkUpdate, refusalWarning, type UpdateMessage } from '../../../lib/fl/clientMessageChecks.js';
import type { FedEmitter } from '../../../lib/fl/events.js';
import { RoundUpdates } from '../../../lib/fl/RoundUpdates.js';
import { RunRecorder } from '../../../lib/fl/RunRecorder.js';
import type { AdapterState } from '../../../lib/native/index.js';
import type { RoundRecord, TrainRecord } from '../../../lib/report/records.js';

/** Two tensors: a (2×2) at 0 and b (1×3) at 4. */
const global: AdapterState = {
  data: Float32Array.from([1, 2, 3, 4, 5, 6, 7]),
  manifest: [{ name: 'a', shape: [2, 2], offset: 0 }, { name: 'b', shape: [1, 3], offset: 4 }],
};
const onlyB: AdapterState = { data: Float32Array.from([70, 80, 90]), manifest: [{ name: 'b', shape: [1, 3], offset: 0 }] };

const update = (adapter: Uint8Array, sampleSize = 8): UpdateMessage =>
  ({ type: 'modelPara', round: 1, sampleSize, adapter, train: { loss: 1, steps: 1, targetTokens: 1, msPerStep: 1 } });

const checks = suite('clientMessageChecks');

checks('should accept the whole adapter or a part of it, decoded', async () => {
  const whole = await checkUpdate(update(encodeAdapter(global)), global);
  assert.ok('value' in whole && Array.from(whole.value.data).join() === '1,2,3,4,5,6,7');
  const part = await checkUpdate(update(encodeAdapter(onlyB)), global);
  assert.ok('value' in part && part.value.manifest.length === 1);
});

for (const [name, message, reason] of [
  ['no adapter', update(undefined as unknown as Uint8Array), /carries no adapter/],
  ['oversize', update(new Uint8Array(8 * 28 + (1 << 20) + 1)), /over the limit of/],
  ['sample size', update(encodeAdapter(global), 0), /sample size 0 is not a positive integer/],
  ['garbage frame', update(new Uint8Array(64)), /neither FSAD nor FSA2/],
  ['unknown tensor', update(encodeAdapter({ data: new Float32Array(3), manifest: [{ name: 'c', shape: [1, 3], offset: 0 }] })), /not the global adapter's tensors and shapes/],
  ['NaN value', update(encodeAdapter({ ...global, data: Float32Array.from([1, 2, Number.NaN, 4, 5, 6, 7]) })), /value 2 is NaN \(not finite\)/],
] as const) {
  checks(`should refuse an update :: ${name}`, async () => {
    const checked = await checkUpdate(message, global);
    assert.ok('refused' in checked && reason.test(checked.refused), JSON.stringify(checked));
  });
}

checks('should refuse metrics that are not a list, and a sender that is not a client', () => {
  assert.ok('refused' in checkMetrics({ type: 'metrics', round: 1, results: 'none' as never }, ['val']));
  assert.equal(checkMetrics({ type: 'metrics', round: 1, results: [] }, ['val']), { value: { global: [], personal: null } });
  assert.equal(checkSender('server'), { refused: 'it does not come from a client' });
  assert.equal(checkSender(3), { value: 3 });
});

checks('should accept split losses a cross-entropy can produce and refuse the rest, naming why', () => {
  const metrics = (results: unknown[]) => checkMetrics({ type: 'metrics', round: 1, results: results as never }, ['val', 'test']);
  const honest = [{ split: 'val', lossSum: 12.5, tokens: 5 }, { split: 'test', lossSum: 0, tokens: 0 }];
  assert.equal(metrics(honest), { value: { global: honest, personal: null } });
  // Personalised FL: the same checks on the client's own adapter's losses, named as such.
  const both = checkMetrics({ type: 'metrics', round: 1, results: honest as never, personal: honest as never }, ['val', 'test']);
  assert.equal(both, { value: { global: honest, personal: honest } });
  const badPersonal = checkMetrics({ type: 'metrics', round: 1, results: honest as never, personal: [{ split: 'val', lossSum: -1, tokens: 2 }] }, ['val', 'test']);
  assert.ok('refused' in badPersonal && /its personal val loss sum -1 is not a finite non-negative number/.test(badPersonal.refused), JSON.stringify(badPersonal));
  for (const [results, reason] of [
    [[{ split: 'val', lossSum: -1e12, tokens: 100 }], /val loss sum -1000000000000 is not a finite non-negative number/],
    [[{ split: 'val', lossSum: Infinity, tokens: 1 }], /loss sum Infinity/],
    [[{ split: 'val', lossSum: null, tokens: 1 }], /loss sum null/],
    [[{ split: 'val', lossSum: 1, tokens: 1.5 }], /token count 1\.5 is not a non-negative integer/],
    [[{ split: 'val', lossSum: 3, tokens: 0 }], /loss sum is 3 over no tokens/],
    [[{ split: 'train', lossSum: 1, tokens: 1 }], /split train, which was not asked for \(val, test\)/],
    [[{ split: 'val', lossSum: 1, tokens: 1 }, { split: 'val', lossSum: 1, tokens: 1 }], /reports the val split twice/],
    [[null], /a result is null/],
  ] as const) {
    const checked = metrics([...results]);
    assert.ok('refused' in checked && reason.test(checked.refused), JSON.stringify(checked));
  }
});

checks('should refuse an update without a sound training record, and take an unmeasured loss', async () => {
  const frame = encodeAdapter(global);
  const withTrain = (train: unknown): UpdateMessage => ({ ...update(frame), train: train as UpdateMessage['train'] });
  for (const [train, reason] of [
    [undefined, /carries no training record/], [null, /carries no training record/],
    [{ loss: -2, steps: 1, targetTokens: 1, msPerStep: 1 }, /training loss -2/],
    [{ loss: 1, steps: -1, targetTokens: 1, msPerStep: 1 }, /step count -1/],
  ] as const) {
    const checked = await checkUpdate(withTrain(train), global);
    assert.ok('refused' in checked && reason.test(checked.refused), JSON.stringify(checked));
  }
  assert.ok('value' in (await checkUpdate(withTrain({ loss: null, steps: 0, targetTokens: 0, msPerStep: 0 }), global)));
  assert.ok('value' in (await checkUpdate(withTrain({ loss: Number.NaN, steps: 2, targetTokens: 9, msPerStep: 3 }), global)));
});

checks('should word a refusal with the message type, the client and the reason', () => {
  assert.is(refusalWarning(3, 'modelPara', 'value 7 is NaN (not finite)'), 'Dropped a modelPara message from client 3: value 7 is NaN (not finite)');
});

checks.run();

// ---

const parts = suite('adapterParts');

parts('should pack a part, recognise it, and write it back over the whole', () => {
  const part = partOf(global, new Set(['b']));
  assert.equal(part.manifest, [{ name: 'b', shape: [1, 3], offset: 0 }]);
  assert.equal(Array.from(part.data), [5, 6, 7]);
  assert.ok(isPartOf(onlyB.manifest, global.manifest));
  assert.not.ok(isPartOf([{ name: 'b', shape: [3, 1], offset: 0 }], global.manifest), 'another shape');
  assert.not.ok(isPartOf([], global.manifest), 'nothing');
  assert.equal(Array.from(withPart(global.data, global.manifest, onlyB)), [1, 2, 3, 4, 70, 80, 90]);
  assert.equal(Array.from(global.data), [1, 2, 3, 4, 5, 6, 7], 'base untouched');
});

parts.run();

// ---

const rounds = suite('RoundUpdates');

rounds('should average weighted updates over the global adapter', async () => {
  const updates = new RoundUpdates(2, fedAvg, global);
  assert.is(await updates.result(), null);
  assert.is(await updates.aggregate(1, onlyB, 1), null);
  assert.is(await updates.aggregate(2, { ...onlyB, data: Float32Array.from([10, 20, 30]) }, 3), null);
  assert.equal(Array.from((await updates.result())!), [1, 2, 3, 4, 25, 35, 45]);
});

rounds('should hand a part\'s rule the global values of that part', async () => {
  const seen: Float32Array[] = [];
  const recording: Aggregator = { name: 'recording', begin: (_r, start) => (seen.push(start.slice()), fedAvg.begin(_r, start)) };
  const updates = new RoundUpdates(3, recording, global);
  await updates.aggregate(1, onlyB, 1);
  assert.equal(seen.map((s) => Array.from(s)), [[5, 6, 7]]);
});

rounds('should refuse an update with another tensor set than the round\'s first', async () => {
  const updates = new RoundUpdates(2, fedAvg, global);
  await updates.aggregate(1, onlyB, 1);
  assert.is(await updates.aggregate(2, global, 1), 'it holds another set of adapter tensors than the other clients of round 2');
});

rounds.run();

// ---

const recorder = suite('RunRecorder');

recorder('should keep the records events carry, whoever listens, and pass every event on', () => {
  const listeners = new EventEmitter() as FedEmitter;
  const heard: string[] = [];
  listeners.on('clientEnd', () => void heard.push('clientEnd'));
  listeners.on('warning', (m) => void heard.push(m));
  const r = new RunRecorder(listeners);
  const train: TrainRecord = { kind: 'train', round: 1, client: 2, loss: 1, steps: 1, samples: 1, targetTokens: 1, msPerStep: 1 };
  const round: RoundRecord = { kind: 'round', round: 1, clients: [2], trainLoss: 1, bytesDown: 1, bytesUp: 1, ms: 1, rssBytes: 1 };
  r.emit('clientEnd', train);
  r.emit('warning', 'a note');
  r.emit('eval', { round: 1, records: [{ kind: 'eval', round: 1, target: 'global', split: 'test', metric: 'loss', value: 2, count: 3 }] });
  r.emit('roundEnd', round);
  assert.equal(heard, ['clientEnd', 'a note']);
  assert.equal(r.take().map((x) => x.kind), ['train', 'eval', 'round']);
  assert.equal(r.take(), [], 'taken once');
});

recorder.run();
