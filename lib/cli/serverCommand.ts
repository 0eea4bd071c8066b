/** `fsllm server --cfg file.yaml [key=value ...] [--resume]`: the server of a distributed run. */
import { loadRunConfig } from '../config/index.js';
import { FedTrainer } from '../fl/FedTrainer.js';
import { waitingToJoin } from '../fl/joinNotes.js';
import { showFedProgress } from './fedProgress.js';
import { parseRunArgs } from './runArgs.js';

export const SERVER_USAGE = `fsllm server --cfg FILE [key=value ...] [--resume]
  The server of a distributed run (federate.mode distributed): listens on distribute.host:port over
  gRPC (TLS with distribute.tls, per-client tokens with distribute.tokens), runs the rounds with the
  clients that connect (\`fsllm client\`), and writes output.dir like \`fsllm run\`. It waits for the
  clients to join up to federate.deadlineSeconds (0: as long as it takes), then starts with those that
  came if they are at least federate.minClients (default: all), or exits 1 naming the missing ones.
  --resume continues from the last checkpoint after a crash; clients reconnect by themselves.`;

export async function serverCommand(argv: string[]): Promise<void> {
  const { cfg, overrides } = parseRunArgs(argv);
  const { options, ignored } = await loadRunConfig(cfg, [...overrides, 'federate.mode=distributed']);
  for (const note of ignored) console.log(`  note: ${note}`);
  const run = new FedTrainer(options);
  run.on('listening', (e) => {
    // Says whom it waits for (a resumed server too): with no client, nothing else would be printed until the
    // server's reminders (the same words, from joinNotes) or its join deadline.
    const resumed = options.output.resume ? ' (resuming from the checkpoint in output.dir; clients reconnect by themselves)' : '';
    console.log(`fsllm server: listening on ${e.host}:${e.port}, ${waitingToJoin(e.clients)}${resumed}`);
    // Closed-model tuning: clients get this folder (never the full model) and run with model.path set to it.
    if (e.emulatorDir) console.log(`fsllm server: emulator for the clients: ${e.emulatorDir}`);
  });
  showFedProgress(run);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const result = await run.run({ signal: controller.signal });
  console.log(`done after ${result.rounds} rounds (${result.reason}); wrote ${result.outDir}`);
}
