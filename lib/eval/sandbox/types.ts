/**
 * The public shapes of the code sandbox: what a caller asks `runProgram` to run and what it gets back.
 * The sandbox executes a complete program; assembling it from a task and a completion is lib/eval's job.
 */

/** The languages of HumanEval (Python) and HumanEval-X (C++, Go, Java, JavaScript, Python, Rust). */
export type SandboxLanguage = 'python' | 'js' | 'cpp' | 'go' | 'java' | 'rust';

/** Limits of one step (compile or run) of one sample. Every process of the step gets the per-process ones. */
export interface SandboxLimits {
  /** Wall clock, ms, from spawn to exit; at the deadline the whole step (every process in it) is killed. */
  timeoutMs: number;
  /** CPU seconds per process (RLIMIT_CPU; SIGXCPU at the limit, SIGKILL one second later). */
  cpuSeconds: number;
  /**
   * Writable private memory per process, bytes (RLIMIT_DATA: heap, anonymous mappings, thread stacks).
   * Not RLIMIT_AS: V8, the JVM and the Go runtime reserve far more address space than they use and fail
   * to start under an address-space limit small enough to matter.
   */
  memoryBytes: number;
  /** Largest file a process may write, bytes (RLIMIT_FSIZE; SIGXFSZ beyond it). */
  fileBytes: number;
  /**
   * Processes and threads (RLIMIT_NPROC). Enforced per user: it bounds a fork bomb only where samples run
   * under their own uid (as root) or in their own user namespace (unprivileged); see README.md.
   */
  processes: number;
  /** Bytes of stdout and of stderr kept; the rest is read and dropped (`stdoutTruncated`, `stderrTruncated`). */
  outputBytes: number;
}

/** What decides that a run passed: exit code 0, or exit code 0 and no output at all (HumanEval-X JavaScript, whose `console.assert` only prints). */
export type PassWhen = 'exit0' | 'silent';

/** Options of `runProgram` (and `SandboxPool.run`). */
export interface RunProgramOptions {
  language: SandboxLanguage;
  /** The program as one file, named `fileName` (or the language's default, e.g. `main.py`, `Main.java`). */
  source?: string;
  fileName?: string;
  /** The program as several files (plain names, no folders); exclusive with `source`. */
  files?: Readonly<Record<string, string>>;
  /** Default `'exit0'`. */
  passWhen?: PassWhen;
  /** C++ only: libraries to link, without `-l` (HumanEval-X CPP/162 needs `crypto`). */
  linkLibraries?: readonly string[];
  /** Limits of the run step; unset fields take the defaults of `limits.ts`. */
  limits?: Partial<SandboxLimits>;
  /** Limits of the compile step (C++, Go, Java, Rust); unset fields take the compile defaults. */
  compileLimits?: Partial<SandboxLimits>;
  /** Aborting kills the sample's processes and rejects with `ERR_FSLLM_ABORTED`. */
  signal?: AbortSignal;
  /**
   * Run samples even where the OS cannot give them a network namespace of their own (no `unshare`, or
   * namespaces disallowed). Without it, `runProgram` refuses there with `ERR_FSLLM_UNSUPPORTED`. Where it
   * takes effect, samples also lose the read-only file system view and the process-namespace kill: they
   * keep their limits, their own directory and (as root) their own uid. See README.md.
   */
  allowNetwork?: boolean;
  /** Where sample directories are made. Default `os.tmpdir()`. */
  tempRoot?: string;
  /** Where warm compiler caches are kept between runs (Go's build cache). Default `~/.cache/fsllm-native/sandbox`. */
  cacheRoot?: string;
}

/**
 * `'passed'`: every step exited 0 (and, for `'silent'`, printed nothing). `'failed'`: a step exited non-zero,
 * was killed by a signal or a limit, or (run step, `'silent'`) printed something; a compile error is a
 * failure. `'timeout'`: a step hit its wall-clock or CPU limit. `'error'`: the sandbox itself could not set
 * the sample up (never the program's fault; `stderr` says why).
 */
export type RunStatus = 'passed' | 'failed' | 'timeout' | 'error';

/** What running one program gave. */
export interface RunProgramResult {
  status: RunStatus;
  /** The step that decided the status (`'run'` when the program ran to the end). */
  phase: 'compile' | 'run';
  /** Exit code of that step, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended that step (e.g. `'SIGKILL'`, `'SIGXCPU'`), or null. */
  signal: string | null;
  /** That step's output, each capped at `outputBytes` (UTF-8, a cut character replaced). */
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Wall time of the whole sample, ms, set-up and clean-up included. */
  ms: number;
  /** How the sample was isolated (see `SandboxIsolation`). */
  isolation: IsolationSummary;
}

/** The isolation a sample got, for logs and result files. */
export interface IsolationSummary {
  /** `'root'`/`'user'`: own network, mount and process namespaces (made as root, or in a user namespace); `'none'`: none (`allowNetwork`). */
  namespaces: 'root' | 'user' | 'none';
  /** The sample ran under a uid of its own (only when the harness runs as root). */
  ownUid: boolean;
}
