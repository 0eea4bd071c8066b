/**
 * Program assembly: the one source file a sandbox runs for a (task, completion) pair, laid out exactly as the
 * reference evaluators build it: openai/human-eval `execution.py` for HumanEval, CodeGeeX
 * `benchmark/humaneval-x/evaluate_humaneval_x.py` `process_humaneval_test` for HumanEval-X (and CodeGeeX2
 * `evaluation/evaluation.py` `process_test` for Rust, which CodeGeeX lacks). The completion is used as given
 * (clean it first with `cleanCompletion` if it is a raw generation).
 */
import type { HumanEvalTask } from './humaneval.js';
import type { CodeProgram, HumanEvalLanguage } from './programRunner.js';

// CodeGeeX's IMPORT_HELPER: what its harness adds so that a completion may use common libraries unimported.
const PYTHON_IMPORTS = [
  'import math',
  'import re',
  'import sys',
  'import copy',
  'import datetime',
  'import itertools',
  'import collections',
  'import heapq',
  'import statistics',
  'import functools',
  'import hashlib',
  'import numpy',
  'import numpy as np',
  'import string',
  'from typing import *',
  'from collections import *',
];
const GO_PACKAGES = ['math', 'strings', 'fmt', 'strconv', 'time', 'bytes', 'regexp', 'sort', 'math/rand', 'crypto/md5'];
const CPP_INCLUDES = [
  '#include<stdlib.h>',
  '#include<algorithm>',
  '#include<math.h>',
  '#include<stdio.h>',
  '#include<vector>',
  '#include<string>',
  '#include<climits>',
  '#include<cstring>',
  '#include<iostream>',
];
// CodeGeeX2's Rust harness: the tests live in `mod tests`, the binary target still needs a main.
const RUST_MAIN = '\nfn main(){ \n } \n';

const FILE_NAME: Readonly<Record<HumanEvalLanguage, string>> = {
  python: 'program.py',
  cpp: 'test.cpp',
  go: 'main_test.go',
  java: 'Main.java',
  js: 'test.js',
  rust: 'main.rs',
};

/** Options of {@link humanEvalProgram}. */
export interface HumanEvalProgramOptions {
  /**
   * HumanEval-X Python: import numpy as the reference does (a plain `import numpy`, so every program fails
   * where numpy is missing). Default false: the two numpy lines are wrapped in `try: ... except ImportError`,
   * which changes nothing where numpy is installed and lets completions that do not use it run elsewhere.
   */
  strictNumpyImport?: boolean;
}

/**
 * The program that tests `completion` against `task`.
 * - HumanEval: `prompt + completion + "\n" + test + "\n" + "check(<entry_point>)"`.
 * - HumanEval-X python: CodeGeeX's import lines (each ending in a newline), the prompt, the completion's lines
 *   up to its first non-empty unindented one, `"\n" + test + "\n"` (the test calls `check` itself).
 * - cpp: the `#include`s of CodeGeeX's list that the prompt lacks, each on its own line, then
 *   `"\n" + prompt + completion + "\n" + test`.
 * - java, js: `prompt + completion + "\n" + test`.
 * - go: `test_setup + "\n"`, then `import (...)` of the packages from CodeGeeX's list that the completion
 *   uses (`<name>.` appears in it) and the test set-up lacks, then the prompt without its own import block,
 *   `+ completion + "\n" + test`.
 * - rust: `"\nfn main(){ \n } \n" + prompt + declaration + completion + test`.
 */
export function humanEvalProgram(task: HumanEvalTask, completion: string, options: HumanEvalProgramOptions = {}): CodeProgram {
  const program = (source: string, passWhen: CodeProgram['passWhen'] = 'exit0', linkLibraries: readonly string[] = []): CodeProgram => ({
    taskId: task.taskId,
    language: task.language,
    fileName: FILE_NAME[task.language],
    source,
    passWhen,
    linkLibraries,
  });
  if (task.suite === 'humaneval') {
    return program(`${task.prompt}${completion}\n${task.test}\ncheck(${task.entryPoint ?? ''})`);
  }
  switch (task.language) {
    case 'python':
      return program(`${pythonImports(options.strictNumpyImport ?? false)}${task.prompt}${indentedHead(completion)}\n${task.test}\n`);
    case 'cpp': {
      const includes = CPP_INCLUDES.filter((line) => !task.prompt.includes(line)).map((line) => `${line}\n`).join('');
      // CodeGeeX compiles CPP/162 (md5 of a string) with -lcrypto -lssl.
      const libs = task.taskId === 'CPP/162' ? ['crypto', 'ssl'] : [];
      return program(`${includes}\n${task.prompt}${completion}\n${task.test}`, 'exit0', libs);
    }
    case 'java':
      return program(`${task.prompt}${completion}\n${task.test}`);
    case 'js':
      return program(`${task.prompt}${completion}\n${task.test}`, 'silent');
    case 'go':
      return program(goSource(task, completion));
    case 'rust':
      return program(`${RUST_MAIN}${task.prompt}${task.declaration ?? ''}${completion}${task.test}`);
  }
}

/** The lines of `code` before its first non-empty line that starts with neither a space nor a tab. */
function indentedHead(code: string): string {
  const lines = code.split('\n');
  const end = lines.findIndex((line) => line.trim() !== '' && line[0] !== ' ' && line[0] !== '\t');
  return (end === -1 ? lines : lines.slice(0, end)).join('\n');
}

function pythonImports(strictNumpy: boolean): string {
  const lines = strictNumpy
    ? PYTHON_IMPORTS
    : PYTHON_IMPORTS.map((line) => (line.includes('numpy') ? `try:\n    ${line}\nexcept ImportError:\n    pass` : line));
  return `${lines.join('\n')}\n`;
}

function goSource(task: HumanEvalTask, completion: string): string {
  const setup = task.testSetup ?? '';
  const prompt = task.import ? task.prompt.replaceAll(task.import, '') : task.prompt;
  const extra = GO_PACKAGES.filter((pkg) => !setup.includes(pkg) && completion.includes(`${pkg.split('/').at(-1)!}.`)).map((pkg) => `"${pkg}"`);
  // CodeGeeX joins the quoted names with four spaces after each newline but the last.
  const imports = extra.length > 0 ? `import (\n${extra.map((p) => `${p}\n`).join('    ')})\n` : '';
  return `${setup}\n${imports}${prompt}${completion}\n${task.test}`;
}
