import type { DetectionItem } from '../../api/contract';

/** A stretch of media time in which one label was seen continuously. */
export interface TimelineSpan {
  start: number;
  end: number;
  count: number;
}

export interface TimelineLane {
  kind: string;
  label: string;
  spans: TimelineSpan[];
}

/** Kinds that mark a moment rather than a presence (a cut), shown as ticks not bars. */
export const INSTANT_KINDS = new Set(['shot_change']);

/**
 * Groups detections into one lane per (kind, label), merging sightings closer than `gap` seconds
 * into one span: the timeline shows when each brand, face or scene change occurred.
 * Scene changes share one lane whatever their label.
 */
export function buildLanes(items: readonly DetectionItem[], gap = 1.5): TimelineLane[] {
  const lanes = new Map<string, TimelineLane>();
  const sorted = [...items].sort((a, b) => a.media_ts - b.media_ts);
  for (const item of sorted) {
    const label = INSTANT_KINDS.has(item.kind) ? 'scene change' : item.label;
    const key = `${item.kind}|${label}`;
    let lane = lanes.get(key);
    if (!lane) {
      lane = { kind: item.kind, label, spans: [] };
      lanes.set(key, lane);
    }
    const last = lane.spans[lane.spans.length - 1];
    if (last && !INSTANT_KINDS.has(item.kind) && item.media_ts - last.end <= gap) {
      last.end = item.media_ts;
      last.count++;
    } else if (!last || last.end !== item.media_ts) {
      lane.spans.push({ start: item.media_ts, end: item.media_ts, count: 1 });
    }
  }
  return [...lanes.values()].sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.label.localeCompare(b.label),
  );
}
