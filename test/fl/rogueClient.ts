// A misbehaving client process for the distributed tests: connects with a valid token, joins, and answers
// every training request with a bad update (`nan`, `shape`, `oversize`, or `train`: no training record), or
// (`metrics`) with the global adapter unchanged but every evaluation with a loss of -1e12; then waits for `finish`.
import { encodeAdapter } from '../../lib/comm/adapterFrame.js';
import { decodeAdapterFrame } from '../../lib/comm/codecFrame.js';
import { GrpcClientTransport } from '../../lib/comm/grpc/index.js';
import type { ServerMessage } from '../../lib/comm/messages.js';

const [port, id, token, mode] = process.argv.slice(2);
const transport = await GrpcClientTransport.connect({ address: `127.0.0.1:${port}`, clientId: Number(id), token: token!, log: () => {} });
const endpoint = transport.endpoint(Number(id));
let done: () => void = () => {};
const finished = new Promise<void>((resolve) => (done = resolve));
endpoint.onMessage(async (_from, message) => {
  const msg = message as ServerMessage;
  if (msg.type === 'finish') return done();
  if (msg.type === 'evaluate') {
    const results = mode === 'metrics' ? msg.splits.map((split) => ({ split, lossSum: -1e12, tokens: 100 })) : [];
    return endpoint.send('server', { type: 'metrics', round: msg.round, results });
  }
  const global = await decodeAdapterFrame(msg.adapter);
  const data = global.data.slice();
  let adapter: Uint8Array;
  if (mode === 'nan') {
    data[3] = Number.NaN;
    adapter = encodeAdapter({ data, manifest: global.manifest });
  } else if (mode === 'shape') {
    adapter = encodeAdapter({ data, manifest: global.manifest.map((e, i) => (i === 0 ? { ...e, name: `${e.name}.evil` } : e)) });
  } else if (mode === 'oversize') {
    adapter = new Uint8Array(16 * data.byteLength + (2 << 20));
  } else {
    adapter = encodeAdapter(global);
  }
  console.log(`rogue ${id}: sending a ${mode} update for round ${msg.round}`);
  const train = mode === 'train' ? null : { loss: 1, steps: 1, targetTokens: 1, msPerStep: 1 };
  await endpoint.send('server', { type: 'modelPara', round: msg.round, sampleSize: 10, adapter, train: train as never });
});
await endpoint.send('server', { type: 'join', clientId: Number(id), trainSamples: 10 });
await finished;
await transport.shutdown();
