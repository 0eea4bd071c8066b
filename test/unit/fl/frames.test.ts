import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { decodeAdapter, encodeAdapter } from '../../../lib/comm/adapterFrame.js';
import { decodeMessage, encodeMessage } from '../../../lib/comm/messageFrame.js';
import { InProcessTransport } from '../../../lib/comm/inProcess.js';
import type { Address, AnyMessage } from '../../../lib/comm/messages.js';

const state = {
  data: Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 1),
  manifest: [
    { name: 'base_model.model.a.lora_A.weight', shape: [2, 4], offset: 0 },
    { name: 'base_model.model.a.lora_B.weight', shape: [4, 1], offset: 8 },
  ],
};

test('an adapter frame round-trips values and manifest, decoding without a copy', () => {
  const frame = encodeAdapter(state);
  assert.ok(frame.byteLength >= 48 + 8, 'header + 12 fp32 values');
  const back = decodeAdapter(frame);
  assert.equal(Array.from(back.data), Array.from(state.data));
  assert.equal(back.manifest, state.manifest);
  assert.is(back.data.buffer, frame.buffer, 'the values are a view of the frame');
});

test('malformed adapter frames are coded errors', () => {
  const frame = encodeAdapter(state);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return `${(e as { code?: string }).code}: ${(e as Error).message}`;
    }
    return 'no error';
  };
  assert.match(code(() => decodeAdapter(frame.subarray(0, 5))), /ERR_FSLLM_PROTOCOL: .*shorter/);
  assert.match(code(() => decodeAdapter(frame.subarray(0, frame.byteLength - 4))), /ERR_FSLLM_PROTOCOL: .*header says 12/);
  const wrongMagic = frame.slice();
  wrongMagic[0] = 0;
  assert.match(code(() => decodeAdapter(wrongMagic)), /does not start with FSAD/);
  const bigOffset = encodeAdapter({ data: state.data, manifest: [{ name: 'x', shape: [13], offset: 0 }] });
  assert.match(code(() => decodeAdapter(bigOffset)), /tensor x lies outside/);
});

test('a message frame carries the fields and the adapter bytes', () => {
  const adapter = encodeAdapter(state);
  const msg: AnyMessage = { type: 'modelPara', round: 3, sampleSize: 17, adapter, train: { loss: 1.5, steps: 2, targetTokens: 40, msPerStep: 3 } };
  const bytes = encodeMessage(msg);
  assert.is(bytes.byteLength > adapter.byteLength, true);
  const back = decodeMessage(bytes) as Extract<AnyMessage, { type: 'modelPara'; sampleSize: number }>;
  assert.is(back.type, 'modelPara');
  assert.is(back.round, 3);
  assert.is(back.sampleSize, 17);
  assert.equal(back.train, msg.train);
  assert.equal(Array.from(decodeAdapter(back.adapter).data), Array.from(state.data));
  const join = decodeMessage(encodeMessage({ type: 'join', clientId: 4, trainSamples: 9 }));
  assert.equal(join, { type: 'join', clientId: 4, trainSamples: 9 });
});

test('the in-process transport delivers asynchronously, in order, and counts encoded bytes', async () => {
  const transport = new InProcessTransport();
  const server = transport.endpoint('server');
  const client = transport.endpoint(1);
  const got: { from: Address; msg: AnyMessage }[] = [];
  server.onMessage((from, msg) => {
    got.push({ from, msg });
  });
  client.onMessage(() => undefined);
  const first = encodeMessage({ type: 'join', clientId: 1, trainSamples: 3 });
  await client.send('server', { type: 'join', clientId: 1, trainSamples: 3 });
  await client.send('server', { type: 'metrics', round: 1, results: [{ split: 'test', lossSum: 2, tokens: 4 }] });
  assert.is(got.length, 0, 'not delivered re-entrantly');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(got.map((g) => g.msg.type), ['join', 'metrics']);
  assert.is(got[0]!.from, 1);
  assert.ok(client.stats.bytesSent > first.byteLength);
  assert.is(server.stats.bytesReceived, client.stats.bytesSent);
  const errors: unknown[] = [];
  transport.onError((e) => errors.push(e));
  await server.send(7, { type: 'finish', round: 1, adapter: encodeAdapter(state) });
  await new Promise((r) => setImmediate(r));
  assert.match(String((errors[0] as Error).message), /No worker listens at 7/);
  transport.close();
});

test.run();
