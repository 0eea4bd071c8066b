/** Python: `python3 -I -B <first file>` (isolated mode: no PYTHON* variables, no user site-packages). */
import path from 'node:path';

import { findExecutable } from '../findExecutable.js';
import type { LanguageSpec } from './languageSpec.js';
import { hostOutput, toolchainMissing } from './locate.js';

// The interpreter's real file and its installation prefix: pyenv shims and venv links resolve to these.
const WHERE = 'import os, sys; print(os.path.realpath(sys.executable)); print(sys.base_prefix)';

/** Python 3, the interpreter on PATH (pyenv and venvs resolved to the real installation). */
export const python: LanguageSpec = {
  language: 'python',
  defaultFile: 'main.py',
  tool: 'python3',
  async locate() {
    const found = findExecutable('python3');
    if (found === undefined) throw toolchainMissing('python', 'python3');
    const [real, prefix] = (await hostOutput(found, ['-I', '-c', WHERE]))?.split('\n') ?? [];
    if (real === undefined || prefix === undefined) throw toolchainMissing('python', 'python3', `(${found}) does not start`);
    const root = real.startsWith(`${prefix}${path.sep}`) ? prefix : path.dirname(path.dirname(real));
    return { root, programs: { python3: path.relative(root, real) } };
  },
  check: (ctx) => [ctx.program('python3'), '-I', '-c', 'pass'],
  run: (ctx) => [ctx.program('python3'), '-I', '-B', ctx.files[0]!],
};
