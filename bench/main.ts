/**
 * `npm run bench -- <name> [options]`: runs one benchmark script. Benchmarks print JSON and are compared
 * by hand (bench/README.md); they are never part of `npm test`.
 */
const benches: Record<string, () => Promise<{ run: (argv: string[]) => Promise<void> }>> = {
  'lora-step': () => import('./lora-step/loraStep.bench.ts'),
  generate: () => import('./generate/generate.bench.ts'),
  'simulate-clients': () => import('./simulate-clients/simulateClients.bench.ts'),
  closed: () => import('./closed/closed.bench.ts'),
  codecs: () => import('./codecs/codecs.bench.ts'),
  load: () => import('./load/load.bench.ts'),
  'base-dtype': () => import('./base-dtype/baseDtype.bench.ts'),
  'data-parallel': () => import('./data-parallel/dataParallel.bench.ts'),
  'big-model': () => import('./big-model/bigModel.bench.ts'),
  'peft-methods': () => import('./peft-methods/peftMethods.bench.ts'),
  robust: () => import('./robust/robust.bench.ts'),
  pfl: () => import('./pfl/pfl.bench.ts'),
  aggregate: () => import('./aggregate/aggregate.bench.ts'),
};

const [name, ...argv] = process.argv.slice(2);
const load = name === undefined ? undefined : benches[name];
if (!load) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]`);
  process.exit(2);
}
await (await load()).run(argv);
