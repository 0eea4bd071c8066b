import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  cleanCompletion,
  cutAtFunctionEnd,
  humanEvalProgram,
  humanEvalPrompt,
  readCompletions,
  readHumanEval,
  HUMANEVAL_STOP_STRINGS,
  type HumanEvalLanguage,
  type HumanEvalTask,
} from '../../lib/eval/index.js';
import { fails } from '../helpers/errors.js';
import { evalFixture, humanEvalSample, sample, withTempDir } from './_support.js';

type Case = { file: string; task_id: string; raw: string; cleaned: string; program: string };
const fx = evalFixture<{ cases: Case[] }>('humaneval.json');
const LANGUAGES: HumanEvalLanguage[] = ['cpp', 'go', 'java', 'js', 'python', 'rust'];

async function tasksOf(file: string): Promise<Map<string, HumanEvalTask>> {
  return new Map((await readHumanEval(sample(file))).map((t) => [t.taskId, t]));
}

const read = suite('readHumanEval');
read('should read HumanEval with its entry points', async () => {
  const tasks = await readHumanEval(humanEvalSample('humaneval'));
  assert.is(tasks.length, 8);
  assert.equal(tasks[0], {
    ...tasks[0]!,
    suite: 'humaneval',
    language: 'python',
    taskId: 'HumanEval/0',
    entryPoint: 'has_close_elements',
  });
});
read('should read each HumanEval-X language from its task ids', async () => {
  for (const language of LANGUAGES) {
    const tasks = await readHumanEval(humanEvalSample(language));
    assert.is(tasks.length, 3);
    for (const t of tasks) {
      assert.is(t.suite, 'humaneval-x');
      assert.is(t.language, language);
      assert.type(t.declaration, 'string');
      if (language === 'go') assert.match(t.testSetup!, /^package main/);
    }
  }
});
read('should read gzip as shipped upstream', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, 'HumanEval.jsonl.gz');
    await writeFile(file, gzipSync(await readFile(humanEvalSample('humaneval'))));
    assert.is((await readHumanEval(file)).length, 8);
  }));
read('should refuse unknown and mixed task ids, naming the line', () =>
  withTempDir(async (dir) => {
    const row = (id: string) => JSON.stringify({ task_id: id, prompt: 'p', canonical_solution: 's', test: 't', declaration: 'd', entry_point: 'f' });
    const unknown = path.join(dir, 'unknown.jsonl');
    await writeFile(unknown, `${row('HumanEval/0')}\n${row('Kotlin/0')}\n`);
    await fails(() => readHumanEval(unknown), 'ERR_FSLLM_DATA', /line 2: task_id "Kotlin\/0" is neither/);
    const mixed = path.join(dir, 'mixed.jsonl');
    await writeFile(mixed, `${row('CPP/0')}\n${row('Go/0')}\n`);
    await fails(() => readHumanEval(mixed), 'ERR_FSLLM_DATA', /mixes tasks of humaneval-x:cpp and humaneval-x:go/);
    const missing = path.join(dir, 'missing.jsonl');
    await writeFile(missing, `${JSON.stringify({ task_id: 'HumanEval/0', prompt: 'p', canonical_solution: 's' })}\n`);
    await fails(() => readHumanEval(missing), 'ERR_FSLLM_DATA', /line 1: field "test" must be a string but is missing/);
  }));
read.run();

// ---

const prompt = suite('humanEvalPrompt');
prompt('should be the raw prompt for HumanEval', async () => {
  const [task] = await readHumanEval(humanEvalSample('humaneval'));
  assert.is(humanEvalPrompt(task!), task!.prompt);
});
prompt('should put the language tag line before a HumanEval-X prompt (Rust: and the declaration after it)', async () => {
  const tags: Record<HumanEvalLanguage, string> = {
    cpp: '// language: C++',
    go: '// language: Go',
    java: '// language: Java',
    js: '// language: JavaScript',
    python: '# language: Python',
    rust: '// language: Rust',
  };
  for (const language of LANGUAGES) {
    const [task] = await readHumanEval(humanEvalSample(language));
    const expected = `${tags[language]}\n${task!.prompt}${language === 'rust' ? task!.declaration : ''}`;
    assert.is(humanEvalPrompt(task!), expected, language);
  }
});
prompt('should stop Python generation only where the cleanup cuts anyway', () => {
  assert.equal([...HUMANEVAL_STOP_STRINGS.python].sort(), ['\n#', '\nassert', '\nclass', '\ndef', '\nif', '\nprint']);
  for (const language of LANGUAGES.filter((l) => l !== 'python')) assert.is(HUMANEVAL_STOP_STRINGS[language].length, 0);
});
prompt.run();

// ---

const cleanup = suite('cleanCompletion');
cleanup('should match the reference cleanup on every fixture completion', async () => {
  const files = new Map<string, Map<string, HumanEvalTask>>();
  for (const c of fx.cases) {
    if (!files.has(c.file)) files.set(c.file, await tasksOf(c.file));
    const task = files.get(c.file)!.get(c.task_id)!;
    assert.is(cleanCompletion(task, c.raw), c.cleaned, `${c.task_id} ${JSON.stringify(c.raw).slice(0, 80)}`);
  }
  assert.ok(fx.cases.length > 100);
});
const py = { suite: 'humaneval', language: 'python' } as const;
const x = (language: HumanEvalLanguage) => ({ suite: 'humaneval-x', language }) as const;
cleanup('humaneval :: cut at the first stop word, whichever comes first', () => {
  assert.is(cleanCompletion(py, '    a = 1\nprint(a)\ndef f():\n'), '    a = 1');
  assert.is(cleanCompletion(py, '    return 1\n#x\nclass A: pass'), '    return 1');
});
cleanup('humaneval :: first line re-indented to four spaces, tabs left alone', () => {
  assert.is(cleanCompletion(py, '  return 1'), '    return 1');
  assert.is(cleanCompletion(py, '        return 1'), '    return 1');
  assert.is(cleanCompletion(py, '\treturn 1'), '    \treturn 1');
  assert.is(cleanCompletion(py, ''), '    ');
});
cleanup('humaneval-x python :: each end word cut at its last occurrence, in CodeGeeX order', () => {
  assert.is(cleanCompletion(x('python'), '    return 1\ndef a():\n    pass\ndef b():\n    pass'), '    return 1\ndef a():\n    pass');
});
cleanup('java :: main dropped and the class closed', () => {
  assert.is(cleanCompletion(x('java'), '        return 1;\n    }\n    public static void main(String[] a) {\n    }\n}'), '        return 1;\n    }\n    }');
  assert.is(cleanCompletion(x('java'), '        return 1;\n    }\n'), '        return 1;\n    }\n}');
});
cleanup('go :: comments and main cut, then up to the last brace', () => {
  assert.is(cleanCompletion(x('go'), '    return 1\n}\n// note\nfunc main() {\n}\n'), '    return 1\n}');
});
cleanup('cpp, js, rust :: up to the last brace; no brace keeps all; U+00A0 dropped', () => {
  for (const language of ['cpp', 'js', 'rust'] as const) {
    assert.is(cleanCompletion(x(language), '  return 1;\n}\nint main(){ }\n// end'), '  return 1;\n}\nint main(){ }');
    assert.is(cleanCompletion(x(language), '  return\u00a01;'), '  return1;');
  }
});
cleanup('cutAtFunctionEnd :: drops what follows the function, so a written main no longer breaks the program', async () => {
  const trailer = '\n\nint main() { return helper({1, 2}); }\n// done\n';
  for (const language of LANGUAGES.filter((l) => l !== 'python')) {
    for (const task of await readHumanEval(humanEvalSample(language))) {
      const expected = cleanCompletion(task, task.canonicalSolution);
      assert.is(cleanCompletion(task, cutAtFunctionEnd(language, task.canonicalSolution + trailer)), expected, task.taskId);
      assert.is.not(cleanCompletion(task, task.canonicalSolution + trailer), expected, `${task.taskId}: the reference keeps the trailer`);
    }
  }
  assert.is(cutAtFunctionEnd('python', '    return 1\n}'), '    return 1\n}');
  assert.is(cutAtFunctionEnd('cpp', '    if (x) { return 1;'), '    if (x) { return 1;');
});
cleanup.run();

// ---

const programs = suite('humanEvalProgram');
programs('should match the reference harness on every fixture completion', async () => {
  const files = new Map<string, Map<string, HumanEvalTask>>();
  for (const c of fx.cases) {
    if (!files.has(c.file)) files.set(c.file, await tasksOf(c.file));
    const task = files.get(c.file)!.get(c.task_id)!;
    const program = humanEvalProgram(task, c.cleaned, { strictNumpyImport: true });
    assert.is(program.source, c.program, `${c.task_id} ${JSON.stringify(c.cleaned).slice(0, 80)}`);
    assert.is(program.taskId, c.task_id);
  }
});
programs('should name the file, pass rule and libraries each toolchain needs', async () => {
  const expected: Record<HumanEvalLanguage, [string, string]> = {
    cpp: ['test.cpp', 'exit0'],
    go: ['main_test.go', 'exit0'],
    java: ['Main.java', 'exit0'],
    js: ['test.js', 'silent'],
    python: ['program.py', 'exit0'],
    rust: ['main.rs', 'exit0'],
  };
  for (const language of LANGUAGES) {
    for (const task of await readHumanEval(humanEvalSample(language))) {
      const p = humanEvalProgram(task, task.canonicalSolution);
      assert.equal([p.fileName, p.passWhen], expected[language], task.taskId);
      assert.equal(p.linkLibraries, task.taskId === 'CPP/162' ? ['crypto', 'ssl'] : []);
    }
  }
});
programs('should import numpy softly unless asked to be strict', async () => {
  const [task] = await readHumanEval(humanEvalSample('python'));
  const soft = humanEvalProgram(task!, task!.canonicalSolution).source;
  const strict = humanEvalProgram(task!, task!.canonicalSolution, { strictNumpyImport: true }).source;
  assert.match(soft, /try:\n {4}import numpy\nexcept ImportError:\n {4}pass\ntry:\n {4}import numpy as np\nexcept ImportError:\n {4}pass\n/);
  assert.is(soft.replace(/try:\n {4}(import numpy[^\n]*)\nexcept ImportError:\n {4}pass/g, '$1'), strict);
});
programs('go :: imports only the listed packages the completion uses and the set-up lacks', async () => {
  const [task] = await readHumanEval(humanEvalSample('go'));
  const source = humanEvalProgram(task!, '    return strings.Contains(fmt.Sprint(1), "1") && math.Abs(1) > 0\n}\n').source;
  assert.match(source, /\)\n\nimport \(\n"math"\n {4}"strings"\n {4}"fmt"\n\)\n/);
  assert.not.ok(source.includes(task!.import!), 'the prompt import block is removed');
});
programs.run();

// ---

const completions = suite('readCompletions');
completions('should read human-eval and CodeGeeX answer rows', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, 'samples.jsonl');
    const rows = [{ task_id: 'HumanEval/0', completion: '    return 1' }, { task_id: 'CPP/0', generation: '}' }, { task_id: 'HumanEval/0', completion: '' }];
    await writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    assert.equal(await readCompletions(file), [
      { task_id: 'HumanEval/0', completion: '    return 1' },
      { task_id: 'CPP/0', completion: '}' },
      { task_id: 'HumanEval/0', completion: '' },
    ]);
    await writeFile(file, `${JSON.stringify({ task_id: 'HumanEval/0', text: 'x' })}\n`);
    await fails(() => readCompletions(file), 'ERR_FSLLM_DATA', /line 1: needs a string field "completion" \(or "generation"\)/);
  }));
completions.run();
