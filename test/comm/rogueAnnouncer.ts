// A rogue client in its own process (so its memory is not the server's): announces a message of `<mib>` MiB,
// sends its first `<sent>` 1 MiB chunks, and prints the status with which the server ended the stream.
// Usage: node --import tsx test/comm/rogueAnnouncer.ts <port> <id> <token> <mib> <sent>
import { connectRogue, rawChunk } from './_rogue.js';

const [port, id, token, mib, sent] = process.argv.slice(2);
const MiB = 1 << 20;
const total = Number(mib) * MiB;
const rogue = await connectRogue(Number(port), id!, token!);
const payload = Buffer.alloc(MiB, 0x5a);
for (let index = 0; index < Number(sent); index++) rogue.write(rawChunk({ index, count: total / MiB, total }, payload));
const status = await rogue.status;
console.log(JSON.stringify(status));
rogue.close();
