/**
 * From options to per-client token data: load the data set, subsample, split across clients and into
 * train/val/test, arrange the scenario (fed, local, global), tokenize, and report dropped examples. Data on
 * which nothing can be evaluated is refused here, before any training. Each client also keeps the records of
 * its test split, which the `rouge` task in `eval.tasks` prompts with and scores against.
 */
import { buildFederatedData, dropWarning, loadDataset, tokenizeAll, type InstructionRecord, type TokenizedExample } from '../data/index.js';
import type { ResolvedOptions } from '../config/index.js';
import { fsllmError } from '../errors/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { shuffled } from '../util/random.js';

export interface PreparedClient {
  id: number;
  /** The category a meta split gave this client, if any. */
  label?: string;
  train: TokenizedExample[];
  val: TokenizedExample[];
  test: TokenizedExample[];
  /**
   * The records behind `test`, position by position (those truncation dropped are gone from both): the
   * client's held-out split as the `rouge` task in the federated loop scores it.
   */
  testRecords: InstructionRecord[];
}

interface RecordClient {
  id: number;
  label?: string;
  train: InstructionRecord[];
  val: InstructionRecord[];
  test: InstructionRecord[];
}

/**
 * The clients of a run. `fed` and `local` use the split's K clients; `global` is one client holding every
 * client's training data, evaluated on the merged held-out splits.
 */
export async function prepareClients(o: ResolvedOptions, tokenizer: Tokenizer, warn: (message: string) => void): Promise<PreparedClient[]> {
  const { records, source, skipped } = await loadDataset({ type: o.data.type, file: o.data.file, keys: o.data.keys, root: o.data.root, cacheDir: o.data.cacheDir });
  if (skipped.length > 0) warn(`${source}: skipped ${skipped.length} rows with an empty output (${skipped.slice(0, 3).join('; ')}${skipped.length > 3 ? '; ...' : ''})`);
  const kept = o.data.subsample < 1 ? shuffled(records, o.federate.seed).slice(0, Math.max(1, Math.round(o.data.subsample * records.length))) : records;
  const split = buildFederatedData(kept, {
    splitter: o.data.splitter,
    clientNum: o.federate.clientNum,
    alpha: o.data.alpha,
    splits: o.data.splits,
    seed: o.federate.seed,
  });
  const byRecords: RecordClient[] = o.federate.scenario === 'global' ? [{ id: 1, ...split.merged }] : split.clients;
  let dropped = 0;
  let total = 0;
  const where: string[] = [];
  const clients = byRecords.map((c) => {
    const tokenize = (part: 'train' | 'val' | 'test') => {
      const result = tokenizeAll(tokenizer, c[part], o.data.tokLen);
      dropped += result.dropped;
      total += c[part].length;
      if (result.dropped > 0) where.push(`client ${c.id} ${part} ${result.dropped}/${c[part].length}`);
      return result;
    };
    const train = tokenize('train');
    const val = tokenize('val');
    const test = tokenize('test');
    const prepared: PreparedClient = { id: c.id, train: train.examples, val: val.examples, test: test.examples, testRecords: test.records };
    if (c.label !== undefined) prepared.label = c.label;
    return prepared;
  });
  if (dropped > 0) warn(`${dropWarning(dropped, total, o.data.tokLen, 'the data')} (${where.join(', ')})`);
  checkEvaluable(o, clients);
  return clients;
}

/**
 * Refuses data on which nothing can be evaluated: every split in eval.splits is empty on every client, or
 * the `rouge` task is asked for and no client has a test record to score. (A single empty split is the
 * server's to note: it leaves it out of evaluation and says so once.)
 */
function checkEvaluable(o: ResolvedOptions, clients: PreparedClient[]): void {
  if (o.eval.tasks.some((t) => t.type === 'rouge') && clients.every((c) => c.testRecords.length === 0)) {
    throw fsllmError('ERR_FSLLM_CONFIG', `eval.tasks: rouge scores each client's test split, but data.splits: [${o.data.splits.join(', ')}] leaves no example in the test split of any client; give test a share, e.g. data.splits: [0.8, 0.1, 0.1], or use more data`);
  }
  if (o.eval.splits.some((split) => clients.some((c) => c[split].length > 0))) return;
  const { splits } = o.eval;
  throw fsllmError('ERR_FSLLM_CONFIG', `data.splits: [${o.data.splits.join(', ')}] leaves no example in the ${splits.join(' and ')} split${splits.length > 1 ? 's' : ''} of any client, so nothing can be evaluated (eval.splits: ${splits.join(', ')}); give ${splits.join(' or ')} a share, e.g. data.splits: [0.8, 0.1, 0.1], or use more data`);
}
