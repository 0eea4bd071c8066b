/**
 * What the sandbox needs to know about one language: where its toolchain is on the host, the files a program
 * needs besides its own, and the commands of its steps. Commands see the sample's view (`StepContext`), never
 * host paths they could not reach.
 */
import type { SandboxLanguage, SandboxLimits } from '../types.js';

/** A toolchain on the host: its root folder and its programs, as paths relative to that root. */
export interface Toolchain {
  root: string;
  programs: Readonly<Record<string, string>>;
}

/** What a step's command may refer to, as the sample sees it. */
export interface StepContext {
  /** The sample's directory (its cwd and HOME). */
  dir: string;
  /** The program's own file names, in the order given. */
  files: readonly string[];
  /** A toolchain program by name, as an absolute path inside the sample's view. */
  program(name: string): string;
  /** The compiler cache, for languages that have one. */
  cacheDir: string;
  /** The limits of the step being built. */
  limits: Readonly<SandboxLimits>;
  /** C++: libraries to link, without `-l`. */
  linkLibraries: readonly string[];
}

/** The files and commands that fill a language's warm cache; the commands write into `ctx.cacheDir`. */
export interface WarmUp {
  files: Readonly<Record<string, string>>;
  steps: readonly ((ctx: StepContext) => string[])[];
}

/** One language: its toolchain and the commands of its steps. */
export interface LanguageSpec {
  language: SandboxLanguage;
  /** The file name `source` is written to when the caller gives none. */
  defaultFile: string;
  /** The program that names the toolchain in messages ("g++", "javac"). */
  tool: string;
  /** Finds the toolchain on the harness's PATH. @throws `ERR_FSLLM_UNSUPPORTED` when it is missing. */
  locate(): Promise<Toolchain>;
  /** A quick command that proves the toolchain runs inside the sandbox (e.g. `--version`). */
  check(ctx: StepContext): string[];
  /** Files the harness adds next to the program (relative paths); never overwrites the program's own. */
  supportFiles?(files: readonly string[]): Record<string, string>;
  /**
   * A cache built once per toolchain by trusted steps (Go's standard-library build, Rust's stand-in
   * crates) and shown to every compile step at `cacheDir`, which cannot change it (warmCache.ts).
   */
  warmUp?: WarmUp;
  /** Variables added to the minimal environment of every step. */
  env?(ctx: StepContext): Record<string, string>;
  compile?(ctx: StepContext): string[];
  run(ctx: StepContext): string[];
}
