// A client in its own process for the gRPC tests: connects as `<id>` with `<token>` to `<host:port>`,
// sends `join`, answers every `evaluate` with `metrics`, and prints one line per event on stdout.
// Usage: node --import tsx test/comm/childClient.ts <host:port> <id> <token>
import { GrpcClientTransport } from '../../lib/comm/grpc/index.js';

const [address, idArg, token] = process.argv.slice(2);
const id = Number(idArg);
const transport = await GrpcClientTransport.connect({ address: address!, clientId: id, token, reconnect: { retries: 0, delayMs: 0 } });
const endpoint = transport.endpoint(id);
transport.onError((error) => console.error(`client ${id} error: ${String(error)}`));
endpoint.onMessage(async (_from, message) => {
  console.log(`got ${message.type}`);
  if (message.type === 'evaluate') {
    await endpoint.send('server', { type: 'metrics', round: message.round, results: [{ split: 'val', lossSum: id, tokens: 10 }] });
  }
});
await endpoint.send('server', { type: 'join', clientId: id, trainSamples: 10 * id });
console.log('joined');
