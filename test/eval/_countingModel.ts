// A real model behind the EvalModel shape, counting what it generates (resume tests check that finished
// items are not generated again). No suites here.
import type { EvalModel } from '../../lib/eval/index.js';
import { fsllmError, type GenerateRow, type Model } from '../../lib/index.js';

export type CountingModel = EvalModel & { generateCalls: number; generatedPrompts: number; generatedRows: number };

/**
 * `model`'s config, tokenizer and next-token logits as they are; generate calls, their prompts and the rows they
 * finished counted. With `stopAfterPrompts`, a generation of more prompts stops (ERR_FSLLM_ABORTED) once the
 * first ones' rows are delivered.
 */
export function countingModel(model: Model, stopAfterPrompts?: number): CountingModel {
  const counted: CountingModel = {
    config: model.config,
    tokenizer: model.tokenizer,
    nextTokenLogits: (batch, candidates, options) => model.nextTokenLogits(batch, candidates, options),
    generate: (async (prompts: Parameters<Model['generate']>[0], options?: Parameters<Model['generate']>[1]) => {
      counted.generateCalls += 1;
      counted.generatedPrompts += Array.isArray(prompts) ? prompts.length : 1;
      if (stopAfterPrompts !== undefined && Array.isArray(prompts) && prompts.length > stopAfterPrompts) {
        // A stop that lands exactly after the first prompts' rows were handed over, however busy the machine.
        const first = prompts.slice(0, stopAfterPrompts) as Parameters<Model['generate']>[0];
        const rows = await model.generate(first, { ...options, ...(options?.seedKeys ? { seedKeys: options.seedKeys.slice(0, stopAfterPrompts) } : {}) });
        counted.generatedRows += (rows as GenerateRow[]).filter((row) => row.finishReason !== 'aborted').length;
        throw fsllmError('ERR_FSLLM_ABORTED', `stand-in stop after ${stopAfterPrompts} prompts`);
      }
      const rows = await model.generate(prompts, options);
      counted.generatedRows += (rows as GenerateRow[]).filter((row) => row.finishReason !== 'aborted').length;
      return rows;
    }) as Model['generate'],
    generateCalls: 0,
    generatedPrompts: 0,
    generatedRows: 0,
  };
  return counted;
}
