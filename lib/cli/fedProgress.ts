/**
 * Progress of a federated run on a terminal: on a TTY one redrawn line with a bar for the rounds and one
 * for the current client's local steps; otherwise (logs, CI) one plain line per round. A figure that is not
 * a number (a loss over no examples) shows as a dash, never as NaN.
 */
import type { FedTrainer } from '../fl/FedTrainer.js';
import { formatFixed } from '../report/format.js';
import type { EvalRecord } from '../report/records.js';

const BAR = 20;

/**
 * The run-wide figures of `records` as `test loss 2.534, gsm8k.accuracy 0.040`: loss per split and task
 * scores; perplexity follows from the loss, so it is left out.
 */
export function formatGlobalFigures(records: readonly EvalRecord[], digits: number): string {
  return records
    .filter((e) => e.target === 'global' && e.metric !== 'perplexity')
    .map((e) => `${e.variant ? `${e.variant} ` : ''}${e.metric === 'loss' ? `${e.split} loss` : e.metric} ${formatFixed(e.value, digits)}`)
    .join(', ');
}

function bar(done: number, total: number): string {
  const filled = Math.round((Math.min(done, total) / Math.max(1, total)) * BAR);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}`;
}

function kib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Subscribes to `run`'s events and draws its progress on `stream` (stderr by default). */
export function showFedProgress(run: FedTrainer, stream: NodeJS.WriteStream = process.stderr): void {
  const total = run.options.federate.totalRounds;
  const tty = Boolean(stream.isTTY);
  const started = Date.now();
  let round = 0;
  let clientsInRound = 0;
  let clientsDone = 0;
  let lastEval: EvalRecord[] = [];
  const draw = (text: string) => stream.write(`\r${text}\x1b[K`);

  run.on('roundStart', (e) => {
    round = e.round;
    clientsInRound = e.clients.length;
    clientsDone = 0;
  });
  run.on('clientEnd', () => void (clientsDone += 1));
  run.on('step', (s) => {
    if (!tty) return;
    draw(`round ${round}/${total} ${bar(round - 1, total)}  client ${s.clientId} (${clientsDone + 1}/${clientsInRound}) ${bar(s.step, s.totalSteps)} step ${s.step}/${s.totalSteps} loss ${formatFixed(s.loss, 3)}`);
  });
  run.on('eval', (e) => {
    lastEval = e.records;
  });
  run.on('roundEnd', (r) => {
    const evalText = formatGlobalFigures(lastEval.filter((e) => e.round === r.round), 3);
    const line = `round ${r.round}/${total}  train loss ${formatFixed(r.trainLoss, 3)}${evalText ? `  ${evalText}` : ''}  up ${kib(r.bytesUp)} down ${kib(r.bytesDown)}  ${((Date.now() - started) / 1000).toFixed(1)}s`;
    if (tty) draw(`${line}\n`);
    else stream.write(`${line}\n`);
  });
  run.on('align', (e) => {
    const line = `${e.round === 0 ? 'pre-alignment' : `round ${e.round} alignment`}: ${e.steps} steps, loss ${formatFixed(e.loss, 4)} (representation ${formatFixed(e.repr, 4)})`;
    stream.write(`${tty ? '\r\x1b[K' : ''}${line}\n`);
  });
  run.on('taskProgress', (e) => {
    if (tty) draw(`round ${e.round}/${total}  scoring ${e.task} on ${e.target} ${bar(e.done, e.total)} ${e.done}/${e.total}`);
  });
  run.on('krum', (p) => {
    const left = [...p.scores.keys()].filter((id) => !p.kept.includes(id));
    stream.write(`${tty ? '\r\x1b[K' : ''}round ${p.round}: Krum kept clients ${p.kept.join(', ')}${left.length ? ` (left out ${left.join(', ')})` : ''}\n`);
  });
  run.on('warning', (m) => stream.write(`${tty ? '\r\x1b[K' : ''}warning: ${m}\n`));
}
