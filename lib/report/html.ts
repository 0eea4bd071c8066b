/** Escaping for text and attribute values in the report's HTML and inline SVG. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes `value` (made a string with `String()`) for HTML text and for quoted attribute values, so
 * a label such as `<img src=x>` shows as written and never becomes markup.
 */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * Pretty JSON of `value` for a `<pre>`, escaped. Values JSON cannot hold (BigInt, cycles) fall back to
 * `String()` rather than throwing, since a report must still render for a strange config.
 */
export function escapeJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v), 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return escapeHtml(text);
}
