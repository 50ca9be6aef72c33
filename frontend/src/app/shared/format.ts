/** Media time in seconds as h:mm:ss(.s) — how operators read positions in a stream. */
export function formatMediaTime(seconds: number | null | undefined, withTenths = false): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '–';
  }
  const sign = seconds < 0 ? '-' : '';
  const total = Math.abs(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const sText = withTenths ? s.toFixed(1).padStart(4, '0') : String(Math.floor(s)).padStart(2, '0');
  return `${sign}${h}:${String(m).padStart(2, '0')}:${sText}`;
}

/** A 0..1 ratio as a percentage with one decimal. */
export function formatPercent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio)
    ? '–'
    : `${(ratio * 100).toFixed(1)} %`;
}
