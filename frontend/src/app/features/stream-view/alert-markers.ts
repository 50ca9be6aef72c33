import type { AlertSummary } from '../../api/alerts-api';

/** An alert transition placed on the stream's timeline. */
export interface AlertMarker {
  /** Stream (media) time of the frame that made the transition. */
  at: number;
  status: 'fired' | 'resolved';
  alertId: string;
  label: string;
}

function mediaTime(evidence: Record<string, unknown> | null): number | null {
  const value = evidence?.['media_ts'] ?? evidence?.['since_media_ts'];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Where a stream's alerts fired and resolved on its timeline, in time order. A transition with
 * no stream time (a stream-health alert is about wall-clock silence, not a frame) has no place
 * on it and is left out; the Alerts screen lists it.
 */
export function alertMarkers(alerts: readonly AlertSummary[]): AlertMarker[] {
  const out: AlertMarker[] = [];
  for (const alert of alerts) {
    const name = [alert.rule_name, alert.brand].filter((part) => part).join(' · ');
    const fired = mediaTime(alert.fired_evidence);
    if (fired !== null) {
      out.push({ at: fired, status: 'fired', alertId: alert.alert_id, label: `${name} fired` });
    }
    const resolved = mediaTime(alert.resolved_evidence);
    if (resolved !== null) {
      out.push({
        at: resolved,
        status: 'resolved',
        alertId: alert.alert_id,
        label: `${name} resolved`,
      });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}
