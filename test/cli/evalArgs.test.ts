// The flags of `fsllm eval`, in process: what each becomes, and the coded error of every misuse.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { parseEvalArgs } from '../../lib/cli/evalArgs.js';

const parse = suite('parseEvalArgs');

parse('should turn task flags into the spec', () => {
  const gsm = parseEvalArgs(['--task', 'gsm8k', '--shots', '3', '--style', 'alpaca', '--limit', '10', '--max-new-tokens', '64']);
  assert.equal(gsm.spec, { type: 'gsm8k', limit: 10, shots: 3, style: 'alpaca', maxNewTokens: 64 });
  const x = parseEvalArgs(['--task', 'humaneval-x:rust', '--samples', '10', '--k', '1,10', '--temperature', '0.2', '--out', 'o', '--sample']);
  assert.equal(x.spec, { type: 'humaneval', suite: 'humaneval-x', language: 'rust', samples: 10, k: [1, 10], temperature: 0.2 });
  assert.equal([x.out, x.sample, x.json, x.progress, x.seed, x.allowNetwork, x.batchSize], ['o', true, false, false, 0, false, undefined]);
  const b = parseEvalArgs(['--task', 'humaneval', '--batch-size', '4', '--allow-network', '--seed', '3']);
  assert.equal([b.batchSize, b.allowNetwork, b.seed], [4, true, 3]);
  const c = parseEvalArgs(['--task', 'rouge', '--completions', 'c.jsonl', '--data-root', 'd', '--json']);
  assert.equal([c.completions, c.dataRoot, c.json], ['c.jsonl', 'd', true]);
});

parse('should refuse every misuse with ERR_FSLLM_INVALID_ARG naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--sample'], /Expected gsm8k, humaneval, humaneval-x:LANG .* for --task but received undefined/],
    [['--task', 'humaneval-x:cobol'], /for --task but received "humaneval-x:cobol"/],
    [['--task', 'humaneval', '--shots', '3'], /Expected a flag of gsm8k or mmlu \(not of --task humaneval\) for --shots/],
    [['--task', 'mmlu', '--max-new-tokens', '3'], /a flag of gsm8k or humaneval or rouge \(not of --task mmlu\) for --max-new-tokens/],
    [['--task', 'gsm8k', '--limit', 'many'], /Expected an integer ≥ 1 for --limit but received "many"/],
    [['--task', 'gsm8k', '--limit', '0'], /Expected an integer ≥ 1 for --limit but received 0/],
    [['--task', 'gsm8k', '--shots', '9'], /Expected an integer from 0 to 8 for --shots but received 9/],
    [['--task', 'gsm8k', '--style', 'socratic'], /'cot' or 'alpaca' for --style/],
    [['--task', 'humaneval', '--samples', '2', '--k', '1,5'], /integers from 1 to 2 \(the samples\) for --k/],
    [['--task', 'humaneval', '--temperature', 'hot'], /a number ≥ 0 for --temperature but received "hot"/],
    [['--task', 'gsm8k', '--seed=-2'], /an integer ≥ 0 for --seed/],
    [['--task', 'gsm8k', '--seed', '1.5'], /an integer ≥ 0 for --seed but received "1.5"/],
    [['--task', 'gsm8k', '--completions', 'c.jsonl', '--model', 'm.bin'], /no model or generation flag with --completions .* for --model/],
    [['--task', 'gsm8k', '--completions', 'c.jsonl', '--limit', '3'], /for --limit/],
    [['--task', 'mmlu', '--completions', 'c.jsonl'], /MMLU scores logits; it has no completions\) for --completions/],
    [['--task', 'gsm8k', '--batch-size', '0'], /an integer ≥ 1 for --batch-size but received "0"/],
    [['--task', 'gsm8k', '--allow-network'], /a flag of humaneval and humaneval-x \(not of --task gsm8k\) for --allow-network/],
    [['--task', 'gsm8k', '--bogus'], /Unknown option '--bogus'; see fsllm eval --help/],
    [['--task', 'gsm8k', '--limit'], /argument missing; see fsllm eval --help/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseEvalArgs(args), (e: Error & { code?: string }) => e.code === 'ERR_FSLLM_INVALID_ARG' && message.test(e.message), args.join(' '));
  }
});

parse.run();
