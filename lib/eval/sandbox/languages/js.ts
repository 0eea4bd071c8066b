/** JavaScript: the harness's own Node.js runs `node <first file>`. */
import { realpathSync } from 'node:fs';
import path from 'node:path';

import type { LanguageSpec } from './languageSpec.js';

/** JavaScript on the Node.js that runs the harness. */
export const js: LanguageSpec = {
  language: 'js',
  defaultFile: 'main.js',
  tool: 'node',
  locate() {
    const real = realpathSync(process.execPath);
    const root = path.dirname(path.dirname(real));
    return Promise.resolve({ root, programs: { node: path.relative(root, real) } });
  },
  check: (ctx) => [ctx.program('node'), '-e', '0'],
  run: (ctx) => [ctx.program('node'), ctx.files[0]!],
};
