/** One word for a POSIX shell: single-quoted, with each `'` closed, escaped and reopened. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
