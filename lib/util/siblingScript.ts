import { fileURLToPath } from 'node:url';

/**
 * The path of script `name` beside the module at `moduleUrl` (its `import.meta.url`), with the module's own
 * extension: .ts under a TypeScript loader (tests), .js from dist. For entries of processes we fork.
 * @example siblingScript(import.meta.url, 'clientProcess')
 */
export function siblingScript(moduleUrl: string, name: string): string {
  const ext = moduleUrl.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${ext}`, moduleUrl));
}
