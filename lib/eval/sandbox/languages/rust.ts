/**
 * Rust: `rustc --test` (HumanEval-X's tests are `#[test]` functions in `mod tests`; without `--test` they
 * are compiled out and any program would pass), then the test binary. There is no Cargo and no crate
 * registry: a program that uses external crates (the reference's `rand`, `regex`, `md5`) fails to compile.
 */
import type { LanguageSpec } from './languageSpec.js';
import { findExecutable } from '../findExecutable.js';
import { hostOutput, toolchainMissing } from './locate.js';

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
  compile: (ctx) => [ctx.program('rustc'), '--edition', '2021', '--test', '-C', 'debuginfo=0', '--cap-lints', 'allow', '-o', 'main', ctx.files[0]!],
  run: () => ['./main', '--test-threads=1'],
};
