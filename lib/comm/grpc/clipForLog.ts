/**
 * Text a peer chose (its client id, a status detail), made safe to put in a log line: at most `max`
 * characters are kept, so a peer cannot flood the log with one field, and the length says how much was cut.
 */
export const LOG_CLIP_CHARS = 64;

/** `text` itself when short enough, else its first `max` characters then `…(N chars)`. */
export function clipForLog(text: string, max = LOG_CLIP_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}
