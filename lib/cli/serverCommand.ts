/** `fsllm server --cfg file.yaml [key=value ...] [--resume]`: the server of a distributed run. */
import { loadRunConfig } from '../config/index.js';
import { FedTrainer } from '../fl/FedTrainer.js';
import { showFedProgress } from './fedProgress.js';
import { parseRunArgs } from './runArgs.js';

export const SERVER_USAGE = `fsllm server --cfg FILE [key=value ...] [--resume]
  The server of a distributed run (federate.mode distributed): listens on distribute.host:port over
  gRPC (TLS with distribute.tls, per-client tokens with distribute.tokens), runs the rounds with the
  clients that connect (\`fsllm client\`), and writes output.dir like \`fsllm run\`. --resume continues
  from the last checkpoint after a crash; clients reconnect by themselves.`;

export async function serverCommand(argv: string[]): Promise<void> {
  const { cfg, overrides } = parseRunArgs(argv);
  const { options, ignored } = await loadRunConfig(cfg, [...overrides, 'federate.mode=distributed']);
  for (const note of ignored) console.log(`  note: ${note}`);
  const run = new FedTrainer(options);
  run.on('listening', (e) => {
    // Says whom it waits for (a resumed server too): with no client, nothing else would be printed.
    const n = options.federate.clientNum;
    const who = n ? `clients ${Array.from({ length: n }, (_, i) => i + 1).join(', ')}` : 'the clients';
    const resumed = options.output.resume ? ' (resuming from the checkpoint in output.dir; clients reconnect by themselves)' : '';
    console.log(`fsllm server: listening on ${e.host}:${e.port}, waiting for ${who} to join${resumed}`);
    // Closed-model tuning: clients get this folder (never the full model) and run with model.path set to it.
    if (e.emulatorDir) console.log(`fsllm server: emulator for the clients: ${e.emulatorDir}`);
  });
  showFedProgress(run);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const result = await run.run({ signal: controller.signal });
  console.log(`done after ${result.rounds} rounds (${result.reason}); wrote ${result.outDir}`);
}
