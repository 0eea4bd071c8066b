/** `fsllm run --cfg file.yaml [key=value ...]`: a federated run from a config (ours or FS-LLM's). */
import { loadRunConfig } from '../config/index.js';
import { FedTrainer } from '../fl/FedTrainer.js';
import { formatFixed } from '../report/format.js';
import { formatGlobalFigures, showFedProgress } from './fedProgress.js';
import { parseRunArgs } from './runArgs.js';
import { stopWithParent } from './stopWithParent.js';

export const RUN_USAGE = `fsllm run --cfg FILE [key=value ...] [--resume]
  Runs federated fine-tuning from a YAML or JSON config: our options (model, data, federate, adapter,
  train, eval, output) or an FS-LLM config (federate.client_num, llm.adapter.args, ...). key=value
  pairs override single options, e.g. federate.totalRounds=5 train.optimizer.lr=1e-3.
  Writes output.dir: config.json, metrics.jsonl, cost.json, adapter/ (PEFT), report.html, checkpoints.`;

export async function runCommand(argv: string[]): Promise<void> {
  const { cfg, overrides } = parseRunArgs(argv);
  const { options, ignored, source } = await loadRunConfig(cfg, overrides);
  console.log(`fsllm run: ${cfg} (${source === 'fsllm' ? 'FS-LLM config' : 'fsllm-native config'}) -> ${options.output.dir}`);
  for (const note of ignored) console.log(`  note: ${note}`);
  const run = new FedTrainer(options);
  showFedProgress(run);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  stopWithParent(controller);
  const result = await run.run({ signal: controller.signal });
  const global = formatGlobalFigures(result.final, 4);
  console.log(`done after ${result.rounds} rounds (${result.reason})${global ? `: ${global}` : ''}`);
  if (result.best) console.log(`best ${result.best.key} ${formatFixed(result.best.value, 4)} at round ${result.best.round}`);
  console.log(`wrote ${result.outDir} (metrics.jsonl, cost.json, report.html, adapter)`);
}
