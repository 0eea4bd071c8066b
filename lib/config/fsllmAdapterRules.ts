/**
 * FS-LLM's `llm.adapter.args` (reference §1.3): the PEFT method and its PEFT config kwargs, mapped onto our
 * `adapter` options (LoRA, or prompt tuning / P-tuning / prefix tuning). Split from fsllmRules.ts, which maps
 * every other key.
 */
import { show } from './configError.js';
import { accept, applyRules, choice, flag, notEmpty, to, type Rule, type Rules } from './fsllmContext.js';
import { getPath, isPlainObject } from './objectPath.js';

const PEFT_DEFAULTS: Readonly<Record<string, [string, number]>> = { r: ['adapter.r', 8], lora_alpha: ['adapter.alpha', 8], lora_dropout: ['adapter.dropout', 0] };

const loraArgs: Rules = {
  adapter_package: accept,
  adapter_method: accept,
  r: to('adapter.r'),
  lora_alpha: to('adapter.alpha'),
  lora_dropout: to('adapter.dropout'),
  target_modules: (v, c, at) => c.set('adapter.targets', typeof v === 'string' ? [v] : v, at.path),
  use_rslora: to('adapter.rslora'),
  layers_to_transform: (v, c, at) => c.set('adapter.layers', typeof v === 'number' ? [v] : v, at.path),
  bias: (v, c, at) => {
    if (v !== 'none') c.unsupported(at.path, `LoRA bias ${show(v)} is not available (use "none")`);
  },
  modules_to_save: (v, c, at) => {
    if (notEmpty(v)) c.unsupported(at.path, 'training extra whole modules is not available (leave modules_to_save out)');
  },
  task_type: accept,
  fan_in_fan_out: accept,
  inference_mode: accept,
  init_lora_weights: accept,
};

/** FS-LLM's prompt-learning adapters: PEFT's PromptTuningConfig / PromptEncoderConfig / PrefixTuningConfig kwargs. */
const promptArgs: Rules = {
  adapter_package: accept,
  adapter_method: accept,
  num_virtual_tokens: to('adapter.virtualTokens'),
  encoder_hidden_size: to('adapter.encoderHiddenSize'),
  encoder_num_layers: to('adapter.encoderLayers'),
  encoder_dropout: to('adapter.encoderDropout'),
  encoder_reparameterization_type: (v, c, at) => {
    const type = choice(typeof v === 'string' ? v.toUpperCase() : v, c, at.path, ['MLP', 'LSTM']);
    if (type) c.set('adapter.encoder', type.toLowerCase(), at.path);
  },
  prefix_projection: flag((v, c, fsPath) => c.set('adapter.encoder', v ? 'projection' : 'none', fsPath)),
  prompt_tuning_init: (v, c, at) => {
    const init = choice(typeof v === 'string' ? v.toUpperCase() : v, c, at.path, ['RANDOM', 'TEXT', 'SAMPLE_VOCAB']);
    if (init) c.set('adapter.init', init === 'SAMPLE_VOCAB' ? 'sample-vocab' : init.toLowerCase(), at.path);
  },
  prompt_tuning_init_text: to('adapter.initText'),
  // The model's own tokenizer tokenizes the text; the shape fields are read from the model.
  tokenizer_name_or_path: accept,
  tokenizer_kwargs: accept,
  token_dim: accept,
  num_layers: accept,
  num_attention_heads: accept,
  num_transformer_submodules: accept,
  task_type: accept,
  inference_mode: accept,
  modules_to_save: (v, c, at) => {
    if (notEmpty(v)) c.unsupported(at.path, 'training extra whole modules is not available (leave modules_to_save out)');
  },
};

/** FS-LLM's adapter_method names and ours. */
const ADAPTER_METHODS: Readonly<Record<string, 'lora' | 'prompt' | 'p-tuning' | 'prefix'>> = { lora: 'lora', prompt: 'prompt', 'p-tuning': 'p-tuning', prefix: 'prefix' };

/** `llm.adapter.args`: FS-LLM's first adapter, LoRA or a prompt-learning method, onto our `adapter` options. */
export const adapterArgs: Rule = (v, c, at) => {
  const use = getPath(c.root, 'llm.adapter.use');
  if (use === false || (use === undefined && !c.partial)) return c.note(at.path, 'ignored because llm.adapter.use is not true');
  const args = Array.isArray(v) ? v[0] : v;   // FS-LLM reads args[0] only
  const base = `${at.path}[0]`;
  if (!isPlainObject(args)) return c.bad(at.path, `expected [{ adapter_package: peft, adapter_method: lora, r: 8, ... }], got ${show(v)}`, 'adapter');
  const pkg = args.adapter_package ?? 'peft';
  const kind = args.adapter_method ?? 'lora';
  if (pkg !== 'peft') return c.unsupported(`${base}.adapter_package`, `${show(pkg)} adapters are not available (use "peft")`, 'adapter');
  const method = choice(kind, c, `${base}.adapter_method`, Object.keys(ADAPTER_METHODS));
  if (!method) return;
  c.set('adapter.method', ADAPTER_METHODS[method]!, `${base}.adapter_method`);
  if (method !== 'lora') {
    applyRules(args, promptArgs, base, c);
    // PEFT has no default for it; FS-LLM's examples set it.
    if (!c.partial && args.num_virtual_tokens === undefined) {
      c.set('adapter.virtualTokens', 20, `${base}.num_virtual_tokens`);
      c.note(at.path, 'num_virtual_tokens left out: 20 virtual tokens');
    }
    return;
  }
  applyRules(args, loraArgs, base, c);
  if (c.partial) return;
  // FS-LLM hands args to PEFT's LoraConfig, so PEFT's defaults fill what the file leaves out.
  const filled = Object.entries(PEFT_DEFAULTS).filter(([k]) => args[k] === undefined);
  for (const [k, [ours, value]] of filled) c.set(ours, value, `${base}.${k}`);
  if (filled.length > 0) c.note(at.path, `PEFT defaults for what it leaves out: ${filled.map(([k, [, d]]) => `${k}=${d}`).join(', ')}`);
};
