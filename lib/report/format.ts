/** Human units for the report: bytes in KiB/MiB/GiB, times in ms or s, counts with thousands separators. */

const DASH = '\u2014';

/** A binary unit for bytes chosen so that `max` reads as a number below 1024 of it. */
export interface ByteUnit {
  name: 'B' | 'KiB' | 'MiB' | 'GiB' | 'TiB';
  bytes: number;
}

/** The largest binary unit not above `max` bytes (B for anything under 1 KiB, or not finite). */
export function byteUnit(max: number): ByteUnit {
  const names = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
  let i = 0;
  while (i < names.length - 1 && Number.isFinite(max) && Math.abs(max) >= 1024 ** (i + 1)) i++;
  return { name: names[i]!, bytes: 1024 ** i };
}

/** `1234567` → `"1,234,567"`; not finite → an em dash. */
export function formatInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : DASH;
}

/** `n` with `decimals` fixed decimals and thousands separators; `-0` shows as `0`. */
export function formatFixed(n: number, decimals: number): string {
  if (!Number.isFinite(n)) return DASH;
  const text = n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** Bytes in the unit that fits: `"512 B"`, `"1.5 KiB"`, `"3.21 MiB"`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return DASH;
  const unit = byteUnit(bytes);
  const decimals = unit.name === 'B' ? 0 : unit.name === 'KiB' ? 1 : 2;
  return `${formatFixed(bytes / unit.bytes, decimals)} ${unit.name}`;
}

/** Milliseconds: `"0.42 ms"`, `"12.3 ms"`, `"1,234 ms"`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return DASH;
  const decimals = Math.abs(ms) < 1 ? 2 : Math.abs(ms) < 100 ? 1 : 0;
  return `${formatFixed(ms, decimals)} ms`;
}

/** Seconds as `"12.3 s"`, `"4 min 05 s"` or `"2 h 03 min"`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return DASH;
  if (seconds < 60) return `${formatFixed(seconds, 1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** A metric value (loss, perplexity, accuracy) to four significant digits, separators above 1000. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return DASH;
  if (Math.abs(v) >= 1000) return formatFixed(v, 1);
  return String(Number(v.toPrecision(4)));
}

/** `2024-05-01 14:03 UTC` (the report headers' date); an invalid date reads "unknown date". */
export function formatDate(date: Date): string {
  return Number.isFinite(date.getTime()) ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'unknown date';
}
