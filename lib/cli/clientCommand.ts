/** `fsllm client --cfg file.yaml --id K [key=value ...]`: one client of a distributed run. */
import { EventEmitter } from 'node:events';
import { loadRunConfig } from '../config/index.js';
import type { FedEmitter } from '../fl/events.js';
import { runDistributedClient } from '../fl/distributedClient.js';
import { parseRunArgs } from './runArgs.js';

export const CLIENT_USAGE = `fsllm client --cfg FILE --id K [key=value ...]
  Client K of a distributed run: loads model.path and its own share of the data (the seeded split every
  participant computes from the same config), connects to distribute.host:port (TLS CA in
  distribute.tls.ca, its token in distribute.token), trains and evaluates until the server finishes.
  It reconnects and rejoins by itself if the connection or the server drops (e.g. a server restarted with
  --resume), for up to distribute.reconnectSeconds (default 60); then it exits 1. It also exits 1 when
  the server ends its session without finishing the run.`;

export async function clientCommand(argv: string[]): Promise<void> {
  const { cfg, overrides, id } = parseRunArgs(argv, true);
  const { options } = await loadRunConfig(cfg, [...overrides, 'federate.mode=distributed']);
  const events = new EventEmitter() as FedEmitter;
  events.on('clientStart', (e) => console.log(`client ${id}: round ${e.round}`));
  events.on('warning', (m) => console.error(`client ${id}: ${m}`));
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  await runDistributedClient(options, id!, { events, signal: controller.signal });
  console.log(`client ${id}: done`);
}
