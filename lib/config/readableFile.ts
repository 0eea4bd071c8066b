/**
 * Whether a file an option names can be read, checked when the options are resolved, so a run that
 * would fail on its first read (a TLS certificate, say) fails before it starts and names the option.
 * The file is not read here; the code that uses it still reports a failure of its own.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * What is wrong with `file` as a readable file, as `<what> (<fix>)`, or undefined when it can be read.
 * Relative paths resolve against the working folder, as `readFile` does; the message shows where.
 * @param what the kind of file wanted, e.g. `a PEM file`.
 */
export function unreadableFile(file: string, what: string): string | undefined {
  const shown = path.isAbsolute(file) ? `"${file}"` : `"${file}" (${path.resolve(file)})`;
  try {
    if (fs.statSync(file).isDirectory()) return `${shown} is a folder (set the path of ${what} inside it)`;
    fs.accessSync(file, fs.constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT' || code === 'ENOTDIR') return `file ${shown} does not exist (set the path of ${what})`;
    if (code === 'EACCES' || code === 'EPERM') return `file ${shown} is not readable, ${code} (allow this user to read it, or set another path)`;
    return `cannot read file ${shown}, ${code} (set the path of ${what})`;
  }
}
