/**
 * The server side of closed-model tuning: FedBiOT re-aligns the emulator after every aggregation; client
 * evaluations run on emulator + adapter (AdapEmu), and the owner evaluates full model + adapter (AdapFu) on
 * the merged held-out splits, which picks the best round.
 */
import type { ResolvedOptions } from '../../config/index.js';
import type { AdapterState } from '../../native/index.js';
import type { EvalRecord } from '../../report/records.js';
import type { FedReporter } from '../events.js';
import type { PreparedClient } from '../prepareClients.js';
import type { ServerOptions } from '../Server.js';
import type { OffsiteSetup } from './offsiteSetup.js';

/** The server options closed-model tuning adds; `events` gets the `align` event of every re-alignment. */
export function offsiteServerOptions(o: ResolvedOptions, offsite: OffsiteSetup, prepared: PreparedClient[], events: FedReporter): Partial<ServerOptions> {
  const align = o.offsite!.align;
  const heldOut = { val: prepared.flatMap((p) => p.val), test: prepared.flatMap((p) => p.test) };
  return {
    variant: 'AdapEmu',
    bestVariant: 'AdapFu',
    ...(o.offsite!.algorithm === 'fedbiot' && align.use ? {
      afterAggregate: async (round: number, global: AdapterState) => {
        const { state, report } = await offsite.align(global, align.stepsPerRound);
        events.emit('align', { round, ...report });
        return state;
      },
    } : {}),
    serverEval: async (round: number, global: AdapterState) => {
      const records: EvalRecord[] = [];
      for (const split of o.eval.splits) {
        const { lossSum, tokens } = await offsite.fullLoss(global, heldOut[split], o.data.tokLen, o.eval.batchSize);
        records.push({ kind: 'eval', round, target: 'global', split, metric: 'loss', value: tokens > 0 ? lossSum / tokens : NaN, count: tokens, variant: 'AdapFu' });
      }
      return records;
    },
  };
}
