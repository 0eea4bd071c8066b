#!/usr/bin/env node
/** The `fsllm` command: dispatches to one file per subcommand; errors print their code and message. */
import { FsllmError } from '../errors/index.js';
import { demoCommand, DEMO_USAGE } from './demoCommand.js';
import { evalCommand, EVAL_USAGE } from './evalCommand.js';
import { generateCommand, GENERATE_USAGE } from './generateCommand.js';
import { hpoCommand, HPO_USAGE } from './hpoCommand.js';
import { runCommand, RUN_USAGE } from './runCommand.js';
import { serverCommand, SERVER_USAGE } from './serverCommand.js';
import { clientCommand, CLIENT_USAGE } from './clientCommand.js';

const commands: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  run: { run: runCommand, usage: RUN_USAGE },
  hpo: { run: hpoCommand, usage: HPO_USAGE },
  server: { run: serverCommand, usage: SERVER_USAGE },
  client: { run: clientCommand, usage: CLIENT_USAGE },
  generate: { run: generateCommand, usage: GENERATE_USAGE },
  eval: { run: evalCommand, usage: EVAL_USAGE },
  demo: { run: demoCommand, usage: DEMO_USAGE },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : commands[name];
  if (!command || rest.includes('--help')) {
    const usage = command ? command.usage : Object.values(commands).map((c) => c.usage).join('\n\n');
    (command || name === undefined || name === '--help' ? console.log : console.error)(`usage:\n${usage}`);
    return command || name === undefined || name === '--help' ? 0 : 2;
  }
  await command.run(rest);
  return 0;
}

// A command whose work waits on a promise nothing can settle any more would end with code 0 and no word
// (the event loop runs dry); a command that has not settled by then failed, and says so.
let settled = false;
process.once('beforeExit', () => {
  if (settled) return;
  console.error(`fsllm: '${process.argv[2]}' stopped before finishing (nothing left to wait for); this is a bug, please report it with the log above`);
  process.exitCode = 1;
});

main(process.argv.slice(2)).finally(() => {
  settled = true;
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = err instanceof FsllmError ? err.code : (err as { code?: string })?.code;
    console.error(`fsllm: ${code ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
