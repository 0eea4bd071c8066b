/** LoRA options as users give them, validated once, and their PEFT `adapter_config.json` form. */
import { invalidArg } from '../errors/index.js';
import type { ModelFamily } from '../formats/types.js';

/** LoRA hyper-parameters (HF PEFT `LoraConfig` names in comments). */
export interface LoraOptions {
  /** Rank (`r`), 1..4096. */
  r: number;
  /** Scaling numerator (`lora_alpha`); default 2r. Scaling = alpha / r, or alpha / sqrt(r) with rsLoRA. */
  alpha?: number;
  /** Dropout on the LoRA input during training (`lora_dropout`), in [0, 1). */
  dropout?: number;
  /** Module names to adapt (`target_modules`), e.g. `['q_proj', 'v_proj']` or GPT-2's `['c_attn']`. */
  targets: string[];
  /** Layer indices to adapt (`layers_to_transform`); default all. */
  layers?: number[];
  /** rsLoRA scaling (`use_rslora`). */
  rslora?: boolean;
  /** Seed of the A initialisation. */
  seed?: number;
}

/** Validates user LoRA options; throws `ERR_FSLLM_INVALID_ARG` naming the field. */
export function normalizeLora(o: LoraOptions, path = 'lora'): Required<Omit<LoraOptions, 'layers'>> & { layers?: number[] } {
  if (o === null || typeof o !== 'object') throw invalidArg(path, 'an object', o);
  if (!Number.isInteger(o.r) || o.r < 1 || o.r > 4096) throw invalidArg(`${path}.r`, 'an integer between 1 and 4096', o.r);
  const alpha = o.alpha ?? 2 * o.r;
  if (typeof alpha !== 'number' || !(alpha > 0)) throw invalidArg(`${path}.alpha`, 'a positive number', o.alpha);
  const dropout = o.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw invalidArg(`${path}.dropout`, 'a number in [0, 1)', o.dropout);
  if (!Array.isArray(o.targets) || o.targets.length === 0 || !o.targets.every((t) => typeof t === 'string' && t.length > 0)) {
    throw invalidArg(`${path}.targets`, "a non-empty array of module names such as ['q_proj', 'v_proj']", o.targets);
  }
  if (o.layers !== undefined && (!Array.isArray(o.layers) || !o.layers.every((l) => Number.isInteger(l) && l >= 0))) {
    throw invalidArg(`${path}.layers`, 'an array of non-negative layer indices', o.layers);
  }
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw invalidArg(`${path}.seed`, 'a non-negative integer', o.seed);
  return { r: o.r, alpha, dropout, targets: [...o.targets], rslora: o.rslora ?? false, seed, ...(o.layers ? { layers: [...o.layers] } : {}) };
}

/** True when two normalised configurations build the same tensors (seed aside). */
export function sameLora(a: ReturnType<typeof normalizeLora>, b: ReturnType<typeof normalizeLora>): boolean {
  const key = (o: ReturnType<typeof normalizeLora>) =>
    JSON.stringify([o.r, o.alpha, o.dropout, o.rslora, [...o.targets].sort(), o.layers ? [...o.layers].sort((x, y) => x - y) : null]);
  return key(a) === key(b);
}


/** The `adapter_config.json` PEFT writes for this configuration. */
export function peftAdapterConfig(o: ReturnType<typeof normalizeLora>, family: ModelFamily, baseModel: string | null): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: o.r,
    lora_alpha: o.alpha,
    lora_dropout: o.dropout,
    target_modules: [...o.targets].sort(),
    layers_to_transform: o.layers ?? null,
    bias: 'none',
    use_rslora: o.rslora,
    use_dora: false,
    fan_in_fan_out: family === 'gpt2',
    init_lora_weights: true,
    modules_to_save: null,
    rank_pattern: {},
    alpha_pattern: {},
    inference_mode: true,
    revision: null,
  };
}

/** Reads LoRA options back from a PEFT `adapter_config.json`; refuses what this core cannot reproduce. */
export function loraFromPeftConfig(cfg: Record<string, unknown>, file: string): LoraOptions {
  const fail = (field: string, why: string) => invalidArg(`${file} ${field}`, why, cfg[field]);
  if (cfg.peft_type !== 'LORA') throw fail('peft_type', "'LORA' (other PEFT methods are not supported yet)");
  if (cfg.use_dora === true) throw fail('use_dora', 'false (DoRA adapters are not supported yet)');
  if (cfg.bias !== undefined && cfg.bias !== 'none') throw fail('bias', "'none' (trained biases are not supported yet)");
  for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = cfg[key];
    if (v !== undefined && v !== null && Object.keys(v as object).length > 0) throw fail(key, 'an empty map (per-module ranks are not supported yet)');
  }
  const targets = cfg.target_modules;
  if (!Array.isArray(targets)) throw fail('target_modules', 'a list of module names (regex strings are not supported yet)');
  // Checked as written: Number("eight") would be NaN, which the message then showed as null.
  const number = (field: string, why: string, fallback: unknown): number => {
    const v = cfg[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(field, why);
    return v;
  };
  const layers = cfg.layers_to_transform;
  return {
    r: number('r', 'a positive integer, e.g. 8', undefined),
    alpha: number('lora_alpha', 'a positive number, e.g. 16', cfg.r),
    dropout: number('lora_dropout', 'a number in [0, 1), e.g. 0.05', 0),
    targets: targets as string[],
    rslora: cfg.use_rslora === true,
    ...(Array.isArray(layers) ? { layers: layers as number[] } : typeof layers === 'number' ? { layers: [layers] } : {}),
  };
}
