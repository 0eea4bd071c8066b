// The package as its users get it: `npm pack`, the tarball installed into a new project (the addon shipped
// as a prebuild, as a published release ships it), `import { FedTrainer } from 'fsllm-native'` there with a
// federated round on the embedded model, the types resolved by tsc, and `npx fsllm generate` from the project.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Model } from '../../lib/index.js';
import { REPO, STORIES_BIN } from '../helpers/paths.js';

const exec = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Ctx {
  dir: string;
  project: string;
}

const consumer = suite<Ctx>('package :: installed from its tarball into a new project');

consumer.before(async (ctx) => {
  ctx.dir = mkdtempSync(path.join(os.tmpdir(), 'fsllm-consumer-'));
  // dist/ is built by `npm test`'s pretest (and by `prepare` when the package is packed for real).
  const { stdout } = await exec(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', ctx.dir], { cwd: REPO, timeout: 120_000 });
  const tarball = path.join(ctx.dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  // A release carries the addon in prebuilds/ (prebuildify's layout, read by node-gyp-build), so installing
  // it builds nothing; here the one built by this clone's `npm install` stands in for it.
  const staged = path.join(ctx.dir, 'staged');
  mkdirSync(staged);
  await exec('tar', ['xzf', tarball, '-C', staged]);
  const prebuilds = path.join(staged, 'package', 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(prebuilds, { recursive: true });
  cpSync(path.join(REPO, 'build', 'Release', 'fsllm_native.node'), path.join(prebuilds, 'node.napi.node'));
  const release = path.join(ctx.dir, 'fsllm-native-release.tgz');
  await exec('tar', ['czf', release, '-C', staged, 'package']);

  ctx.project = path.join(ctx.dir, 'project');
  mkdirSync(ctx.project);
  writeFileSync(path.join(ctx.project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  // Dependencies come from the npm cache that this clone's own install filled; the registry only if absent.
  await exec(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', release], { cwd: ctx.project, timeout: 600_000 });
});

consumer.after((ctx) => {
  if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
});

consumer('should install with its compiled library, assets and addon, and without the sources it does not need', (ctx) => {
  const pkg = path.join(ctx.project, 'node_modules', 'fsllm-native');
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'assets/stories260K/stories260K.bin', 'assets/data/dolly-sample.jsonl']) {
    assert.ok(existsSync(path.join(pkg, file)), `${file} is installed`);
  }
  assert.not.ok(existsSync(path.join(pkg, 'build')), 'the prebuild was used: nothing was compiled at install');
  for (const absent of ['test', 'lib', 'bench']) assert.not.ok(existsSync(path.join(pkg, absent)), `${absent}/ is not shipped`);
});

consumer('should run one federated round from `import { FedTrainer } from "fsllm-native"`', async (ctx) => {
  const script = path.join(ctx.project, 'round.mjs');
  writeFileSync(script, `
import { createRequire } from 'node:module';
import path from 'node:path';
import { FedTrainer } from 'fsllm-native';

const root = path.dirname(createRequire(import.meta.url).resolve('fsllm-native/package.json'));
const run = new FedTrainer({
  model: { path: path.join(root, 'assets/stories260K/stories260K.bin') },
  data: { type: 'file', file: path.join(root, 'assets/data/dolly-sample.jsonl'), keys: { input: 'context', output: 'response', category: 'category' },
          splitter: 'meta', splits: [0.8, 0.1, 0.1], tokLen: 256 },
  federate: { clientNum: 8, totalRounds: 1, sampleClients: 2, seed: 3 },
  adapter: { r: 4, alpha: 8, targets: ['q_proj', 'v_proj'] },
  train: { localSteps: 2, batchSize: 2, optimizer: { type: 'adamw', lr: 2e-3 } },
  eval: { every: 1, splits: ['test'] },
  output: { dir: 'run' },
});
const rounds = [];
run.on('roundEnd', (r) => rounds.push(r.round));
const result = await run.run();
await result.adapter.save('adapter');
console.log(JSON.stringify({ rounds, trainable: result.cost.trainableParameters }));
`);
  const { stdout } = await exec(process.execPath, [script], { cwd: ctx.project, timeout: 300_000 });
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { rounds: number[]; trainable: number };
  assert.equal(out.rounds, [1]);
  assert.ok(out.trainable > 0);
  const config = JSON.parse(readFileSync(path.join(ctx.project, 'adapter', 'adapter_config.json'), 'utf8')) as { peft_type: string; r: number };
  assert.equal([config.peft_type, config.r], ['LORA', 4]);
  assert.ok(existsSync(path.join(ctx.project, 'adapter', 'adapter_model.safetensors')));
  assert.ok(existsSync(path.join(ctx.project, 'run', 'metrics.jsonl')));
});

consumer('should give a TypeScript consumer the package types', async (ctx) => {
  const source = path.join(ctx.project, 'typed.ts');
  writeFileSync(source, `
import { FedTrainer, Model, type FedTrainerOptions } from 'fsllm-native';
const options: FedTrainerOptions = { model: { path: 'm.bin' }, data: { type: 'gsm8k' } };
const run: FedTrainer = new FedTrainer(options);
export const loads: Promise<Model> = Model.load('m.bin');
export { run };
`);
  // tsc checks every .d.ts the package ships (no skipLibCheck): a declaration that refers to one stripped
  // as @internal fails here. Resolves to tsc's report, empty when the program type-checks.
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const typeErrors = () => exec(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--target', 'es2022', '--types', 'node', '--typeRoots', path.join(REPO, 'node_modules', '@types'), source], { cwd: ctx.project, timeout: 120_000 })
    .then(() => '', (error: { stdout?: string; message: string }) => error.stdout || error.message);
  assert.is(await typeErrors(), '');
  // A wrong option must be a type error, so the check above can fail.
  writeFileSync(source, `import { FedTrainer } from 'fsllm-native';\nnew FedTrainer({ model: { path: 1 } });\n`);
  assert.match(await typeErrors(), /typed\.ts\(2,\d+\): error TS2322/);
});

consumer('should run `npx fsllm generate` from the project, greedy ids equal to the library\'s own', async (ctx) => {
  const { stdout } = await exec('npx', ['--no-install', 'fsllm', 'generate', '--prompt', 'Once upon a time', '--max-new-tokens', '12', '--json'], { cwd: ctx.project, timeout: 120_000 });
  const out = JSON.parse(stdout) as { ids: number[]; text: string };
  const model = await Model.load(STORIES_BIN);
  try {
    const { ids } = await model.generate('Once upon a time', { maxNewTokens: 12 });
    assert.equal(out.ids, ids);
  } finally {
    await model.dispose();
  }
});

consumer.run();
