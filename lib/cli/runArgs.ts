/** The arguments `fsllm run`, `fsllm server` and `fsllm client` share: --cfg FILE, --resume, key=value. */
import { invalidArg } from '../errors/index.js';

export interface RunArgs {
  cfg: string;
  overrides: string[];
  /** --id K (fsllm client). */
  id?: number;
}

export function parseRunArgs(argv: string[], allowId = false): RunArgs {
  let cfg: string | undefined;
  let id: number | undefined;
  const overrides: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--cfg') cfg = argv[++i];
    else if (arg.startsWith('--cfg=')) cfg = arg.slice(6);
    else if (arg === '--resume') overrides.push('output.resume=true');
    else if (allowId && (arg === '--id' || arg.startsWith('--id='))) id = Number(arg === '--id' ? argv[++i] : arg.slice(5));
    else if (arg.includes('=') && !arg.startsWith('-')) overrides.push(arg);
    else throw invalidArg(`argument ${arg}`, `--cfg FILE, --resume${allowId ? ', --id K' : ''} or key=value`, arg);
  }
  if (!cfg) throw invalidArg('--cfg', 'a config file (YAML or JSON)', cfg);
  if (allowId && (id === undefined || !Number.isInteger(id) || id < 1)) throw invalidArg('--id', 'the client id, an integer ≥ 1', id);
  return { cfg, overrides, ...(id !== undefined ? { id } : {}) };
}
