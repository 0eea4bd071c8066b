// Search spaces: reading ours and FS-LLM's spelling, every refusal with the key and the fix; grid expansion
// and seeded random draws.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { gridConfigs, parseSearchSpace, sampleConfigs } from '../../lib/hpo/index.js';
import { fails } from '../helpers/errors.js';

const parseSpace = suite('parseSearchSpace');

parseSpace('should read choices and ranges in our spelling', () => {
  const space = parseSearchSpace({
    'train.optimizer.lr': { low: 1e-4, high: 1e-1, log: true },
    'adapter.r': [4, 8, 16],
    'train.fedprox.mu': { low: 0, high: 0.1, grid: 3 },
    'train.localSteps': { low: 1, high: 4, type: 'int' },
  }, 'space');
  assert.equal(space, [
    { key: 'train.optimizer.lr', low: 1e-4, high: 1e-1, log: true, type: 'float' },
    { key: 'adapter.r', choices: [4, 8, 16] },
    { key: 'train.fedprox.mu', low: 0, high: 0.1, log: false, type: 'float', grid: 3 },
    { key: 'train.localSteps', low: 1, high: 4, log: false, type: 'int' },
  ]);
});

parseSpace("should read FS-LLM's ConfigSpace spelling (type, lower, upper, cate choices) with FS-LLM keys", () => {
  const space = parseSearchSpace({
    'train.optimizer.lr': { type: 'float', lower: 0.001, upper: 0.5, log: true, default_value: 0.01 },
    'train.local_update_steps': { type: 'int', lower: 1, upper: 4 },
    'dataloader.batch_size': { type: 'cate', choices: [2, 4] },
  }, 'space');
  assert.equal(space.map((d) => d.key), ['train.optimizer.lr', 'train.local_update_steps', 'dataloader.batch_size']);
  assert.equal(space[1], { key: 'train.local_update_steps', low: 1, high: 4, log: false, type: 'int' });
  assert.equal(space[2], { key: 'dataloader.batch_size', choices: [2, 4] });
});

parseSpace('should list every problem with its key and how to fix it :: ERR_FSLLM_CONFIG', async () => {
  const e = await fails(() => parseSearchSpace({
    'train.optimizer.lrr': [1e-3],
    'output.dir': ['a', 'b'],
    'adapter.r': [],
    'adapter.alpha': { low: 8, high: 4 },
    'train.optimizer.weightDecay': { low: 0, high: 0.1, log: true },
    'adapter.dropout': { low: 0, high: 0.1, step: 0.01 },
    'train.batchSize': 4,
    'federate.seed': { low: 0, high: 3, grid: 1 },
  }, 'search space space.yaml'), 'ERR_FSLLM_CONFIG',
  /Invalid search space space\.yaml \(8 problems\)/,
  /train\.optimizer\.lrr: unknown option; did you mean train\.optimizer\.lr\?/,
  /output\.dir: is set by the search for each trial/,
  /adapter\.r: expected a non-empty list of choices/,
  /adapter\.alpha: high 4 must be above low 8/,
  /train\.optimizer\.weightDecay\.low: a log-scale range needs low > 0/,
  /adapter\.dropout\.step: unknown field/,
  /train\.batchSize: expected a list of choices or a range/,
  /federate\.seed\.grid: expected an integer ≥ 2/);
  assert.is((e as { issues?: unknown[] }).issues?.length, 8);
});

parseSpace('should refuse FS-LLM conditions as unsupported :: ERR_FSLLM_UNSUPPORTED', async () => {
  await fails(() => parseSearchSpace({ condition0: { type: 'equal', child: 'a', parent: 'b', value: 1 } }, 'ss.yaml'),
    'ERR_FSLLM_UNSUPPORTED', /condition0: conditional dimensions/);
});

parseSpace('should refuse an empty space', async () => {
  await fails(() => parseSearchSpace({}, 'space.yaml'), 'ERR_FSLLM_CONFIG', /expected a mapping of run options/);
});

parseSpace.run();

// ---

const grid = suite('gridConfigs');

grid('should nest dimensions in file order, the first slowest', () => {
  const space = parseSearchSpace({ 'adapter.r': [4, 8], 'train.optimizer.type': ['adamw', 'sgd'] }, 'space');
  assert.equal(gridConfigs(space, 'space'), [
    { 'adapter.r': 4, 'train.optimizer.type': 'adamw' },
    { 'adapter.r': 4, 'train.optimizer.type': 'sgd' },
    { 'adapter.r': 8, 'train.optimizer.type': 'adamw' },
    { 'adapter.r': 8, 'train.optimizer.type': 'sgd' },
  ]);
});

grid('should space a range with a grid count evenly, geometrically when log', () => {
  const space = parseSearchSpace({
    'train.optimizer.lr': { low: 1e-4, high: 1e-1, log: true, grid: 4 },
    'train.fedprox.mu': { low: 0, high: 0.1, grid: 3 },
    'adapter.r': { low: 2, high: 4, type: 'int', grid: 5 },
  }, 'space');
  const configs = gridConfigs(space, 'space');
  assert.equal([...new Set(configs.map((c) => c['train.optimizer.lr']))], [0.0001, 0.001, 0.01, 0.1]);
  assert.equal([...new Set(configs.map((c) => c['train.fedprox.mu']))], [0, 0.05, 0.1]);
  // Five points on [2, 4] round to three distinct integers; repeats are dropped.
  assert.equal([...new Set(configs.map((c) => c['adapter.r']))], [2, 3, 4]);
  assert.is(configs.length, 4 * 3 * 3);
});

grid('should refuse a range without a grid count, naming it and the fixes :: ERR_FSLLM_CONFIG', async () => {
  const space = parseSearchSpace({ 'train.optimizer.lr': { low: 1e-4, high: 1e-1, log: true }, 'adapter.r': [4] }, 'space');
  await fails(() => gridConfigs(space, 'search space s.yaml'), 'ERR_FSLLM_CONFIG',
    /train\.optimizer\.lr: a range has no grid points \(give it grid: N .*, list its choices, or use the rs scheduler\)/);
});

grid.run();

// ---

const sample = suite('sampleConfigs');

const SPACE = parseSearchSpace({
  'train.optimizer.lr': { low: 1e-5, high: 1e-1, log: true },
  'train.fedprox.mu': { low: 0, high: 1 },
  'train.localSteps': { low: 1, high: 8, type: 'int' },
  'adapter.r': { low: 1, high: 64, type: 'int', log: true },
  'train.optimizer.type': ['adamw', 'sgd'],
}, 'space');

sample('should draw the same configurations for the same seed, others for another', () => {
  const a = sampleConfigs(SPACE, 20, 7);
  assert.equal(sampleConfigs(SPACE, 20, 7), a);
  assert.not.equal(sampleConfigs(SPACE, 20, 8), a);
  assert.is(a.length, 20);
  assert.is(new Set(a.map((c) => JSON.stringify(c))).size, 20, 'no repeats');
});

sample('should stay in bounds: ints are integers, floats keep 6 significant digits', () => {
  for (const c of sampleConfigs(SPACE, 200, 1)) {
    const lr = c['train.optimizer.lr'] as number;
    assert.ok(lr >= 1e-5 && lr <= 1e-1, `lr ${lr}`);
    assert.is(Number(lr.toPrecision(6)), lr);
    const mu = c['train.fedprox.mu'] as number;
    assert.ok(mu >= 0 && mu <= 1);
    for (const k of ['train.localSteps', 'adapter.r']) assert.ok(Number.isInteger(c[k]), `${k} ${c[k]}`);
    assert.ok((c['train.localSteps'] as number) >= 1 && (c['train.localSteps'] as number) <= 8);
    assert.ok((c['adapter.r'] as number) >= 1 && (c['adapter.r'] as number) <= 64);
    assert.ok(['adamw', 'sgd'].includes(c['train.optimizer.type'] as string));
  }
});

sample('should draw log ranges uniformly in log space', () => {
  const lrs = sampleConfigs(SPACE, 400, 3).map((c) => Math.log10(c['train.optimizer.lr'] as number));
  const below = lrs.filter((v) => v < -3).length / lrs.length;   // -3 is the middle of [-5, -1] in log10
  assert.ok(below > 0.4 && below < 0.6, `share below 1e-3: ${below}`);
  const steps = new Set(sampleConfigs(SPACE, 400, 3).map((c) => c['train.localSteps']));
  assert.equal([...steps].sort(), [1, 2, 3, 4, 5, 6, 7, 8], 'every integer of the range is drawn');
});

sample('should give every configuration of a small discrete space once, never a repeat', () => {
  const small = parseSearchSpace({ 'adapter.r': [4, 8], 'train.optimizer.type': ['adamw', 'sgd'] }, 'space');
  const drawn = sampleConfigs(small, 10, 0);
  assert.is(drawn.length, 4);
  assert.is(new Set(drawn.map((c) => JSON.stringify(c))).size, 4);
});

sample.run();
