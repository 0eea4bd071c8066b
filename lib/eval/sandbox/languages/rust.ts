/**
 * Rust: `rustc --test` (HumanEval-X's tests are `#[test]` functions in `mod tests`; without `--test` they
 * are compiled out and any program would pass), then the test binary. There is no Cargo and no crate
 * registry: the crates HumanEval-X programs import (`rand`, `regex`, `md5`) are the stand-ins of
 * rustCrates.ts, built once into the warm cache and passed with `--extern`.
 */
import { findExecutable } from '../findExecutable.js';
import type { LanguageSpec, StepContext } from './languageSpec.js';
import { hostOutput, toolchainMissing } from './locate.js';
import { RUST_CRATES } from './rustCrates.js';

const CRATES = Object.keys(RUST_CRATES);

const buildCrate = (name: string) => (ctx: StepContext) => [
  ctx.program('rustc'),
  '--edition', '2021',
  '--crate-type', 'rlib',
  '--crate-name', name,
  '-C', 'debuginfo=0',
  '--cap-lints', 'allow',
  '-o', `${ctx.cacheDir}/lib${name}.rlib`,
  `${name}.rs`,
];

/** Rust with the rustc on PATH (its sysroot). */
export const rust: LanguageSpec = {
  language: 'rust',
  defaultFile: 'main.rs',
  tool: 'rustc',
  async locate() {
    const found = findExecutable('rustc');
    if (found === undefined) throw toolchainMissing('rust', 'rustc');
    // The sysroot's rustc is the compiler itself; the one on PATH is often rustup's proxy, which needs ~/.rustup.
    const root = await hostOutput(found, ['--print', 'sysroot']);
    if (root === undefined) throw toolchainMissing('rust', 'rustc', `(${found}) does not start`);
    return { root, programs: { rustc: 'bin/rustc' } };
  },
  check: (ctx) => [ctx.program('rustc'), '--version'],
  warmUp: {
    files: Object.fromEntries(CRATES.map((name) => [`${name}.rs`, RUST_CRATES[name]!])),
    steps: CRATES.map(buildCrate),
  },
  compile: (ctx) => [
    ctx.program('rustc'),
    '--edition', '2021',
    '--test',
    '-C', 'debuginfo=0',
    '--cap-lints', 'allow',
    '-L', `dependency=${ctx.cacheDir}`,
    ...CRATES.flatMap((name) => ['--extern', `${name}=${ctx.cacheDir}/lib${name}.rlib`]),
    '-o', 'main',
    ctx.files[0]!,
  ],
  run: () => ['./main', '--test-threads=1'],
};
