// Scheduler arithmetic: successive-halving rungs and promotion, default budgets, starting configurations;
// and the objective: names, directions, and the value at a trial's last evaluated round.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  defaultBudgets, keepCount, parseObjective, parseSearchSpace, promote, readObjective, rungCounts, shaTotalRounds,
  type TrialRecord,
} from '../../lib/hpo/index.js';
import { defaultDirection, recordedObjectives } from '../../lib/hpo/objective.js';
import { baseScheduler, checkBudgets, rankRecords, startingConfigs } from '../../lib/hpo/schedulers.js';
import type { EvalRecord, RunRecord } from '../../lib/report/records.js';
import { fails } from '../helpers/errors.js';

function record(id: string, value: number | null, status: TrialRecord['status'] = 'ok'): TrialRecord {
  return { id, rung: 0, config: {}, rounds: 1, roundsTrained: 1, value, evalRound: 1, status, seconds: 1 };
}

const sha = suite('successive halving');

sha('should keep ceil(n / eta) each rung, at least one', () => {
  assert.equal([keepCount(16, 3), keepCount(6, 3), keepCount(2, 3), keepCount(1, 3)], [6, 2, 1, 1]);
  assert.equal(rungCounts(16, 4, 3), [16, 6, 2, 1]);   // FS-LLM's SHA: 16 -> 6 -> 2 -> 1
  assert.equal(rungCounts(4, 3, 2), [4, 2, 1]);
  assert.equal(rungCounts(5, 2, 1.5), [5, 4]);
});

sha('should count rounds as each rung trains from the previous budget', () => {
  // 4 x 1 + 2 x (2 - 1) + 1 x (4 - 2) = 8 rounds, where the grid at 4 rounds trains 16.
  assert.is(shaTotalRounds(4, [1, 2, 4], 2), 8);
  assert.is(shaTotalRounds(16, [1, 3, 9, 27], 3), 16 * 1 + 6 * 2 + 2 * 6 + 1 * 18);
  assert.is(shaTotalRounds(3, [5], 2), 15);
});

sha('should derive budgets ending at the run\'s rounds when none are given', () => {
  assert.equal(defaultBudgets(27, 16, 3), [1, 3, 9, 27]);
  assert.equal(defaultBudgets(8, 4, 2), [2, 4, 8]);
  assert.equal(defaultBudgets(2, 16, 3), [1, 2], 'repeats of the one-round floor are dropped');
  assert.equal(defaultBudgets(10, 1, 3), [10]);
});

sha('should promote the best, lower or higher, with diverged and failed last and ties by id', () => {
  const rs = [record('t3', 2.0), record('t0', 1.5), record('t1', null, 'diverged'), record('t2', 1.5), record('t4', null, 'failed')];
  assert.equal(rankRecords(rs, 'min').map((r) => r.id), ['t0', 't2', 't3', 't1', 't4']);
  assert.equal(rankRecords(rs, 'max').map((r) => r.id), ['t3', 't0', 't2', 't1', 't4']);
  assert.equal(promote(rs, 2, 'min'), ['t0', 't2', 't3']);    // ceil(5 / 2) = 3
  assert.equal(promote(rs, 3, 'max'), ['t3', 't0']);
  // A trial that did not finish is never promoted, even when the rung keeps that many.
  assert.equal(promote([record('t0', 1), record('t1', null, 'diverged')], 1, 'min'), ['t0']);
});

sha('should refuse budgets that are not increasing round counts :: ERR_FSLLM_INVALID_ARG', async () => {
  assert.equal(checkBudgets([1, 2, 4]), [1, 2, 4]);
  for (const bad of [[], [2, 2], [4, 2], [0, 1], [1.5, 3], 'x']) {
    await fails(() => checkBudgets(bad), 'ERR_FSLLM_INVALID_ARG', /Expected a non-empty list of round counts, strictly increasing, e\.g\. \[2, 4, 8\] for budgets/);
  }
});

sha.run();

// ---

const start = suite('startingConfigs');

const space = parseSearchSpace({ 'train.optimizer.lr': [1e-3, 1e-2, 1e-1] }, 'space');

start('should start grid and sha without samples from the grid, rs and sha with samples from draws', () => {
  assert.is(startingConfigs({ space, scheduler: 'grid', seed: 0 }, 's').length, 3);
  assert.is(startingConfigs({ space, scheduler: 'sha', seed: 0 }, 's').length, 3);
  assert.is(startingConfigs({ space, scheduler: 'wrap_rs', samples: 2, seed: 0 }, 's').length, 2);
  assert.equal(startingConfigs({ space, scheduler: 'sha', samples: 2, seed: 5 }, 's'), startingConfigs({ space, scheduler: 'rs', samples: 2, seed: 5 }, 's'));
  assert.equal([baseScheduler('wrap_rs'), baseScheduler('wrap_sha'), baseScheduler('grid')], ['rs', 'sha', 'grid']);
});

start('should ask rs for a sample count :: ERR_FSLLM_INVALID_ARG', async () => {
  await fails(() => startingConfigs({ space, scheduler: 'rs', seed: 0 }, 's'), 'ERR_FSLLM_INVALID_ARG', /for samples/);
});

start.run();

// ---

const objective = suite('objective');

function evalRecord(round: number, split: 'val' | 'test', metric: string, value: number | null, extra: Partial<EvalRecord> = {}): RunRecord {
  return { kind: 'eval', round, target: 'global', split, metric, value: value as number, count: 10, ...extra };
}

objective('should read names: split.metric, bestKey spelling, task metrics and a variant', () => {
  assert.equal(parseObjective('val.loss'), { name: 'val.loss', metric: 'loss', split: 'val', target: 'global', direction: 'min' });
  assert.equal(parseObjective('test_loss'), { name: 'test_loss', metric: 'loss', split: 'test', target: 'global', direction: 'min' });
  assert.equal(parseObjective('gsm8k.accuracy'), { name: 'gsm8k.accuracy', metric: 'gsm8k.accuracy', target: 'global', direction: 'max' });
  assert.equal(parseObjective('humaneval.pass@1').direction, 'max');
  assert.equal(parseObjective('val.loss@AdapFu'), { name: 'val.loss@AdapFu', metric: 'loss', split: 'val', target: 'global', variant: 'AdapFu', direction: 'min' });
  assert.is(parseObjective('val.loss', { direction: 'max' }).direction, 'max');
  assert.equal(['loss', 'perplexity', 'rouge.rougeL', 'mmlu.accuracy'].map(defaultDirection), ['min', 'min', 'max', 'max']);
});

objective('should refuse a bad name or direction :: ERR_FSLLM_INVALID_ARG', async () => {
  await fails(() => parseObjective(''), 'ERR_FSLLM_INVALID_ARG', /for objective/);
  await fails(() => parseObjective('val.loss', { direction: 'down' }), 'ERR_FSLLM_INVALID_ARG', /Expected "min" or "max" for direction/);
});

objective('should take the value of the last round that measured it', () => {
  const records: RunRecord[] = [
    evalRecord(0, 'val', 'loss', 5),
    evalRecord(2, 'val', 'loss', 4),
    evalRecord(2, 'test', 'loss', 3.9),
    evalRecord(4, 'val', 'loss', 3.5),
    evalRecord(4, 'val', 'loss', 9, { target: 1 }),
    evalRecord(4, 'val', 'loss', 8, { target: 'mean' }),
    evalRecord(6, 'val', 'loss', Number.NaN, { count: 0 }),   // an empty split is not a measurement
    evalRecord(4, 'test', 'gsm8k.accuracy', 0.25),
  ];
  assert.equal(readObjective(records, parseObjective('val.loss')), { value: 3.5, round: 4 });
  assert.equal(readObjective(records, parseObjective('test.loss')), { value: 3.9, round: 2 });
  assert.equal(readObjective(records, { ...parseObjective('val.loss'), target: 'mean' }), { value: 8, round: 4 });
  assert.equal(readObjective(records, parseObjective('gsm8k.accuracy')), { value: 0.25, round: 4 });
  assert.is(readObjective(records, parseObjective('val.perplexity')), null);
  assert.equal(recordedObjectives(records), ['gsm8k.accuracy', 'test.loss', 'val.loss']);
});

objective('should read a diverged run (NaN, written as null) as NaN', () => {
  const reading = readObjective([evalRecord(1, 'val', 'loss', 4), evalRecord(2, 'val', 'loss', null)], parseObjective('val.loss'));
  assert.ok(reading && Number.isNaN(reading.value) && reading.round === 2);
});

objective.run();
