/**
 * What evaluation needs from the code sandbox (lib/eval/sandbox/), as types only: lib/eval builds a complete
 * program per sample (`humanEvalProgram`), a {@link ProgramRunner} executes it in isolation and says whether
 * it passed. Nothing here runs code.
 */

/** The languages of HumanEval (Python) and HumanEval-X (the other five, and Python again). */
export type HumanEvalLanguage = 'python' | 'cpp' | 'go' | 'java' | 'js' | 'rust';

/**
 * One program to run: a single source file holding the prompt, the completion and the task's tests.
 * How the reference evaluators (openai/human-eval `execution.py`, CodeGeeX `benchmark/execution.py`,
 * CodeGeeX2 `evaluation/execution.py`) run each language, and so what a runner should do:
 * - python: `python3 <fileName>`; passes iff it exits 0 (the tests are `assert`s).
 * - js: `node <fileName>`; passes iff it writes nothing to stdout or stderr (`passWhen: 'silent'`): the tests
 *   are `console.assert`, which prints "Assertion failed" to stderr but still exits 0.
 * - cpp: `g++ -std=c++11 <fileName>` plus `-l<lib>` for each of `linkLibraries` (CPP/162 uses OpenSSL's md5),
 *   then the binary; passes iff both exit 0.
 * - go: `go test <fileName>` (the file is `package main` with a `Test...` function) in a module where
 *   `github.com/stretchr/testify` resolves; passes iff it exits 0.
 * - java: `javac Main.java`, then `java -cp <dir> Main`; passes iff both exit 0.
 * - rust: the file as a Cargo binary target (edition 2021) whose crate depends on `rand = "0.4"`,
 *   `regex = "1"` and `md5 = "0.7"`, as CodeGeeX's `benchmark/rust/Cargo.toml` (every task's declaration
 *   `use`s them; Rust/50 needs rand 0.4's `gen_range(a, b)`), run with `cargo test`; passes iff it exits 0.
 *
 * Checked by running every task's canonical solution through `humanEvalProgram` with the toolchains above:
 * all pass except where the data or the environment says otherwise: JavaScript/112 and /155 and Go/95 fail
 * their own tests (upstream data), JavaScript/162 needs the npm package `js-md5`, CPP/22 and /137 need the
 * Boost headers (`boost/any.hpp`).
 */
export interface CodeProgram {
  /** The task, e.g. `HumanEval/0`, `CPP/12`. */
  taskId: string;
  language: HumanEvalLanguage;
  /** The name the toolchain expects: `Main.java` (public class Main), `main_test.go` (go test), ... */
  fileName: string;
  source: string;
  /** `'exit0'`: the exit code alone decides; `'silent'`: exit 0 and no output at all (JavaScript). */
  passWhen: 'exit0' | 'silent';
  /** Libraries to link (C++ only), without `-l`. */
  linkLibraries: readonly string[];
}

/** What running one program gave. */
export interface ProgramOutcome {
  passed: boolean;
  /**
   * human-eval's wording: `'passed'`, `'timed out'`, or `'failed: <reason>'` (e.g. `'failed: AssertionError'`,
   * `'failed: compilation error: ...'`); kept in the results file as is.
   */
  result: string;
}

/** Options a runner honours. */
export interface RunProgramOptions {
  /** Wall-clock limit for compiling and running together; the reference used 3 s (Python) and 5 s (others). */
  timeoutMs?: number;
  /** Aborting kills the program; the promise then rejects with `ERR_FSLLM_ABORTED`. */
  signal?: AbortSignal;
}

/**
 * Runs one program in isolation. Must never reject because of what the program did (a crash, a timeout, a
 * compile error is a failed outcome), only for cancellation or when it cannot run anything at all.
 */
export type ProgramRunner = (program: CodeProgram, options?: RunProgramOptions) => Promise<ProgramOutcome>;
