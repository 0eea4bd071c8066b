// The rouge task inside the federated loop, end to end on stories260K and the Dolly sample: it scores each
// client's own held-out (test) split, one record per client and evaluation round plus the merged one. What was
// scored is read back from the run folder's details and checked against the clients' splits as prepareClients
// makes them: the seeded `limit` of that client's test records, none of the other client's; the merged value is
// the mean F1 over the union of the scored records; the report draws a line per client.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { resolveOptions } from '../../lib/config/index.js';
import { selectRows } from '../../lib/eval/tasks/rougeTask.js';
import { prepareClients, type PreparedClient } from '../../lib/fl/prepareClients.js';
import { FedTrainer, type EvalRecord, type FedTrainerOptions } from '../../lib/index.js';
import { renderReport } from '../../lib/report/index.js';
import { loadTokenizer } from '../../lib/tokenizer/index.js';
import { SAMPLE_DATASETS, STORIES_BIN, TOK512_BIN } from '../helpers/paths.js';
import { tempDir } from './_support.js';

const SEED = 2;
const LIMIT = 2;
const CLOSE = 1e-12;

/**
 * Two IID clients of 24 Dolly records each, one round, scored at rounds 0 and 1. After truncation client 1 has 3
 * test records (the limit picks 2) and client 2 has 1, so the merged value weighs them 2:1.
 */
function options(out: string, scenario: 'fed' | 'local'): FedTrainerOptions {
  return {
    model: { path: STORIES_BIN },
    data: { type: 'dolly-15k', root: SAMPLE_DATASETS, splitter: 'iid', subsample: 0.15, splits: [0.75, 0.1, 0.15], tokLen: 256 },
    federate: { clientNum: 2, totalRounds: 1, seed: SEED, scenario },
    adapter: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'] },
    train: { localSteps: 1, batchSize: 2, optimizer: { type: 'adamw', lr: 3e-3 } },
    eval: { every: 1, splits: ['test'], tasks: [{ type: 'rouge', limit: LIMIT, maxNewTokens: 16 }] },
    output: { dir: out, checkpointEvery: 0, report: false },
  };
}

/** One scored response as `rouge.items.jsonl` holds it. */
interface Item {
  index: number;
  reference: string;
  fmeasure: number;
}

const rougeRecords = (history: readonly { kind: string }[]) =>
  history.filter((r): r is EvalRecord => r.kind === 'eval' && (r as EvalRecord).metric === 'rouge.rougeL');

function itemsOf(out: string, round: number, client: number): Item[] {
  const file = path.join(out, 'tasks', `round-${round}`, `client-${client}`, 'rouge.items.jsonl');
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Item);
}

const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

const heldOut = suite<{ dirs: string[]; clients: PreparedClient[] }>('FedTrainer :: rouge on the clients\' held-out splits', { dirs: [], clients: [] });
heldOut.before(async (ctx) => {
  // The clients' splits as the run makes them (the same options, the model's tokenizer).
  ctx.clients = await prepareClients(resolveOptions(options('unused', 'fed')), await loadTokenizer(TOK512_BIN), () => {});
});
heldOut.after(({ dirs }) => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

heldOut('should score each client\'s own test split and merge over all scored records', async ({ dirs, clients }) => {
  const out = tempDir('fsllm-rouge-');
  dirs.push(out);
  const result = await new FedTrainer(options(out, 'fed')).run();
  const records = rougeRecords(result.history);
  assert.equal(records.map((r) => `${r.round}:${r.target}`), ['0:1', '0:2', '0:global', '1:1', '1:2', '1:global']);
  assert.ok(records.every((r) => r.split === 'test' && r.variant === undefined));

  const [one, two] = clients;
  assert.ok(one!.testRecords.length > LIMIT, 'limit picks a subset of client 1\'s split');
  assert.ok(two!.testRecords.length < LIMIT, 'client 2 has fewer held-out records than the limit');
  for (const round of [0, 1]) {
    const union: Item[] = [];
    for (const client of clients) {
      const items = itemsOf(out, round, client.id);
      // The seeded selection of this client's held-out records, not Dolly's rows nor the merged split.
      assert.equal(items.map((i) => i.index), selectRows(client.testRecords.length, LIMIT, SEED));
      assert.equal(items.map((i) => i.reference), items.map((i) => client.testRecords[i.index]!.output));
      const other = clients.find((c) => c.id !== client.id)!;
      assert.ok(items.every((i) => !other.testRecords.some((r) => r.output === i.reference)), 'none of the other client\'s');
      const record = records.find((r) => r.round === round && r.target === client.id)!;
      assert.is(record.count, Math.min(LIMIT, client.testRecords.length));
      assert.ok(Math.abs(record.value - mean(items.map((i) => i.fmeasure))) < CLOSE, `client ${client.id}: ${record.value}`);
      union.push(...items);
    }
    const merged = records.find((r) => r.round === round && r.target === 'global')!;
    const perClient = records.filter((r) => r.round === round && typeof r.target === 'number');
    assert.is(merged.count, union.length);
    assert.ok(Math.abs(merged.value - mean(union.map((i) => i.fmeasure))) < CLOSE, 'the mean over the union of the scored records');
    const weighted = perClient.reduce((s, r) => s + r.value * r.count, 0) / perClient.reduce((s, r) => s + r.count, 0);
    assert.ok(Math.abs(merged.value - weighted) < CLOSE, 'the client values weighted by their counts');
    assert.is.not(perClient[0]!.value, perClient[1]!.value, 'the clients score differently here');
    assert.ok(Math.abs(merged.value - mean(perClient.map((r) => r.value))) > 1e-6, 'not the plain mean of the client values');
  }

  const html = renderReport({ title: 'rouge', config: null, records: result.history, cost: null });
  const chart = html.split('<svg').find((svg) => svg.includes('<title>Task score rouge.rougeL (higher is better), per round</title>'));
  assert.ok(chart, 'the report charts the task');
  for (const label of ['global', 'client 1', 'client 2']) assert.ok(chart!.includes(`data-series="${label}"`), label);
});

heldOut('should score each client\'s own adapter on its own split in the local scenario', async ({ dirs, clients }) => {
  const out = tempDir('fsllm-rouge-');
  dirs.push(out);
  const result = await new FedTrainer(options(out, 'local')).run();
  const records = rougeRecords(result.history);
  assert.equal(records.map((r) => `${r.round}:${r.target}:${r.count}`), ['0:1:2', '0:2:1', '0:global:3', '1:1:2', '1:2:1', '1:global:3']);
  for (const client of clients) {
    assert.equal(itemsOf(out, 1, client.id).map((i) => i.reference), selectRows(client.testRecords.length, LIMIT, SEED).map((i) => client.testRecords[i]!.output));
  }
});

heldOut.run();
