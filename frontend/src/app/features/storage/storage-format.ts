/** Byte counts and retention lifetimes as an operator reads and types them. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
const DAY_S = 86_400;

/** 1536 → "1.5 KB" (powers of 1024, one decimal from KB on). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) {
    return '–';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A lifetime in seconds as words: 0 → "for ever", 604800 → "7 days", 7200 → "2 h". */
export function formatLifetime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '–';
  }
  if (seconds === 0) {
    return 'for ever';
  }
  if (seconds >= DAY_S) {
    const days = Math.round((seconds / DAY_S) * 10) / 10;
    return `${days} day${days === 1 ? '' : 's'}`;
  }
  if (seconds >= 3600) {
    return `${Math.round((seconds / 3600) * 10) / 10} h`;
  }
  return `${Math.round(seconds)} s`;
}

/** A stream's own lifetime (seconds, null: the default) as the days typed in its field. */
export function lifetimeToDays(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '' : String(seconds / DAY_S);
}

/**
 * What the operator typed in a days field: empty → null (follow the default), 0 → keep for ever,
 * else seconds. Throws on anything that is not a non-negative number.
 */
export function daysToLifetime(typed: string): number | null {
  const text = typed.trim();
  if (text === '') {
    return null;
  }
  const days = Number(text);
  if (!Number.isFinite(days) || days < 0) {
    throw new Error(`"${typed}" is not a number of days (empty: the default, 0: for ever)`);
  }
  return Math.round(days * DAY_S);
}
