// A TLS client in its own process for the gRPC tests, so its stderr can be read for warnings: connects as
// `<id>` with `<token>` to 127.0.0.1:<port>, trusting the CA in `<caPath>`, sends `join`, and exits.
// Usage: node --import tsx test/comm/tlsChildClient.ts <port> <id> <token> <caPath>
import { readFileSync } from 'node:fs';
import { GrpcClientTransport } from '../../lib/comm/grpc/index.js';

const [port, idArg, token, caPath] = process.argv.slice(2);
const id = Number(idArg);
const transport = await GrpcClientTransport.connect({ address: `127.0.0.1:${port}`, clientId: id, token, tls: { ca: readFileSync(caPath!) }, log: () => {} });
await transport.endpoint(id).send('server', { type: 'join', clientId: id, trainSamples: 1 });
await transport.shutdown();
console.log('joined over TLS');
