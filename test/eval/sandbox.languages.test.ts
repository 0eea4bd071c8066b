// Each language's toolchain in the sandbox: canonical HumanEval / HumanEval-X solutions pass, a wrong
// completion fails, a compile error fails in the compile phase. Real processes; each language skips
// visibly where its toolchain (or the namespaces the sandbox needs) is missing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { humanEvalProgram, readHumanEval } from '../../lib/eval/index.js';
import { runProgram, type RunProgramResult } from '../../lib/eval/sandbox/index.js';
import { namespaces, onPath, when, type Requirement } from '../helpers/requirements.js';
import { humanEvalSample, type HumanEvalSampleSuite } from './_support.js';

/** Asserts `status`, showing the sample's output when it is not. */
function expectStatus(result: RunProgramResult, status: RunProgramResult['status'], what: string): void {
  assert.is(result.status, status, `${what}: ${result.status} (${result.phase}, exit ${result.exitCode ?? result.signal})\n${result.stderr.slice(-1500)}\n${result.stdout.slice(-500)}`);
}

function both(a: Requirement, b: Requirement): Requirement {
  return { met: a.met && b.met, reason: a.met ? b.reason : a.reason };
}

const NAMESPACES = namespaces();

// suite, toolchain commands, tasks to run (compile-heavy languages: one).
const CASES: readonly [HumanEvalSampleSuite, string[], number][] = [
  ['humaneval', ['python3'], 2],
  ['python', ['python3'], 2],
  ['js', ['node'], 2],
  ['cpp', ['g++'], 1],
  ['go', ['go'], 1],
  ['java', ['javac', 'java'], 1],
  ['rust', ['rustc'], 1],
];

/**
 * A completion of task 0 (`has_close_elements`: are two numbers closer than the threshold?) that always
 * answers false; its tests expect true as well, so it must fail.
 */
const WRONG_TASK0: Readonly<Record<HumanEvalSampleSuite, string>> = {
  humaneval: '    return False\n',
  python: '    return False\n',
  js: '  return false\n}\n',
  cpp: '    return false;\n}\n',
  // Compiles: the assembly drops the prompt's `import "math"` and imports only the packages the completion uses.
  go: '    return false\n}\n',
  java: '        return false;\n    }\n}\n',
  rust: '    return false;\n}\n',
};

const BROKEN: Readonly<Partial<Record<HumanEvalSampleSuite, string>>> = {
  cpp: 'int main() { return undefined_name; }\n',
  go: 'package main\n\nfunc TestBroken(t *testing.T) { undefinedName() }\n',
  java: 'public class Main { public static void main(String[] a) { undefinedName(); } }\n',
  rust: 'fn main() { undefined_name(); }\n',
};

for (const [name, commands, taskCount] of CASES) {
  const test = when(both(NAMESPACES, onPath(...commands)), suite(`runProgram :: ${name}`));
  const tasks = (await readHumanEval(humanEvalSample(name))).slice(0, taskCount);

  for (const task of tasks) {
    test(`should pass the canonical solution of ${task.taskId}`, async () => {
      expectStatus(await runProgram(humanEvalProgram(task, task.canonicalSolution)), 'passed', task.taskId);
    });
  }

  test(`should fail a wrong completion of ${tasks[0]!.taskId}`, async () => {
    const result = await runProgram(humanEvalProgram(tasks[0]!, WRONG_TASK0[name]));
    expectStatus(result, 'failed', `${tasks[0]!.taskId} answering false`);
    assert.is(result.phase, 'run');
  });

  const broken = BROKEN[name];
  if (broken !== undefined) {
    test('should fail a program that does not compile, in the compile phase', async () => {
      const result = await runProgram({ language: name as 'cpp' | 'go' | 'java' | 'rust', source: broken });
      expectStatus(result, 'failed', 'broken program');
      assert.is(result.phase, 'compile');
      assert.match(result.stderr + result.stdout, /undefined|cannot find|not declared/i);
    });
  }

  if (name === 'rust') {
    test('should link the stand-ins of the crates HumanEval-X programs use (rand, md5, regex)', async () => {
      const source = [
        'use rand::Rng;',
        'use regex::Regex;',
        'use md5;',
        '#[test]',
        'fn crates() {',
        '    let mut rng = rand::thread_rng();',
        '    let n = rng.gen_range(3, 10);',
        '    assert!((3..10).contains(&n));',
        '    let _x: i32 = rng.gen();',
        '    let _y = rand::random::<u32>() % 11;',
        '    assert_eq!(format!("{:x}", md5::compute("A B C".as_bytes())), "0ef78513b0cb8cef12743f5aeb35f888");',
        '    assert!(Regex::new(r"[.?!]").is_err());',
        '}',
      ].join('\n');
      expectStatus(await runProgram({ language: 'rust', source }), 'passed', 'stand-in crates');
    });
  }

  test.run();
}
