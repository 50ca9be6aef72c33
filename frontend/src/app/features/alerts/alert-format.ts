import type { AlertSummary } from '../../api/alerts-api';

/** One line saying what an alert is about, from its kind and evidence. */
export function describeAlert(alert: AlertSummary): string {
  const evidence = (alert.resolved_evidence ?? alert.fired_evidence ?? {}) as Record<
    string,
    unknown
  >;
  const detail = typeof evidence['detail'] === 'string' ? (evidence['detail'] as string) : '';
  const since = evidence['since_media_ts'];
  const at = evidence['media_ts'];
  const times =
    typeof since === 'number' && typeof at === 'number'
      ? `${since.toFixed(1)}–${at.toFixed(1)} s`
      : '';
  return [alert.brand, times, detail].filter((part) => part).join(' · ');
}

/** Parses a zone typed as "x,y x,y x,y" (normalised 0..1); null when empty, an error otherwise. */
export function parseZone(text: string): { x: number; y: number }[] | null | string {
  const trimmed = text.trim();
  if (!trimmed) {
    return null;
  }
  const points = trimmed.split(/\s+/).map((pair) => pair.split(',').map(Number));
  if (points.some((p) => p.length !== 2 || p.some((v) => !Number.isFinite(v) || v < 0 || v > 1))) {
    return 'a zone is "x,y x,y x,y …" with values from 0 to 1';
  }
  if (points.length < 3) {
    return 'a zone needs at least 3 points';
  }
  return points.map(([x, y]) => ({ x, y }));
}
