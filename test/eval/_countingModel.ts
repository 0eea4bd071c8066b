// A real model behind the EvalModel shape, counting its generate calls (resume tests check that finished
// items are not generated again). No suites here.
import type { EvalModel } from '../../lib/eval/index.js';
import type { Model } from '../../lib/index.js';

export type CountingModel = EvalModel & { generateCalls: number };

/** `model`'s config, tokenizer and logits as they are; generate counted. */
export function countingModel(model: Model): CountingModel {
  const counted: CountingModel = {
    config: model.config,
    tokenizer: model.tokenizer,
    logits: (batch, options) => model.logits(batch, options),
    generate: ((prompt: Parameters<Model['generate']>[0], options?: Parameters<Model['generate']>[1]) => {
      counted.generateCalls += 1;
      return model.generate(prompt, options);
    }) as Model['generate'],
    generateCalls: 0,
  };
  return counted;
}
