import type { DetectionItem } from '../../api/contract';

/** A stretch of media time in which one label was seen continuously. */
export interface TimelineSpan {
  start: number;
  end: number;
  count: number;
  /** On the palette strip: the dominant colour (hex) of this stretch. */
  colour?: string;
  /** On a brand's lane: the sighting with the largest box, whose frame previews the span. */
  best?: { eventId: string; itemIndex: number; area: number };
}

export interface TimelineLane {
  kind: string;
  label: string;
  spans: TimelineSpan[];
  /** The palette strip: spans painted in their own colour instead of the kind's. */
  palette?: boolean;
}

/** Kinds that mark a moment rather than a presence (a cut), shown as ticks not bars. */
export const INSTANT_KINDS = new Set(['shot_change']);
/** Kinds whose labels are worth a lane each: brands. */
const PER_LABEL_KINDS = new Set(['logo']);
const COLOUR_KIND = 'colour';

/**
 * The timeline's lanes: one per brand (logos first: what the product is about), one per other
 * analysis kind (faces, text, picture quality, scene changes, whatever their labels), and one
 * palette strip for the dominant colours (a lane per colour buried the logos under a hundred
 * lanes of hex codes). Sightings closer than `gap` seconds merge into one span.
 */
export function buildLanes(items: readonly DetectionItem[], gap = 1.5): TimelineLane[] {
  const lanes = new Map<string, TimelineLane>();
  const sorted = [...items].sort((a, b) => a.media_ts - b.media_ts);
  for (const item of sorted.filter((i) => i.kind !== COLOUR_KIND)) {
    const label = laneLabel(item);
    const key = `${item.kind}|${label}`;
    let lane = lanes.get(key);
    if (!lane) {
      lane = { kind: item.kind, label, spans: [] };
      lanes.set(key, lane);
    }
    let span = lane.spans[lane.spans.length - 1];
    if (span && !INSTANT_KINDS.has(item.kind) && item.media_ts - span.end <= gap) {
      span.end = item.media_ts;
      span.count++;
    } else if (!span || span.end !== item.media_ts) {
      span = { start: item.media_ts, end: item.media_ts, count: 1 };
      lane.spans.push(span);
    }
    if (PER_LABEL_KINDS.has(item.kind)) {
      keepBest(span, item);
    }
  }
  const ordered = [...lanes.values()].sort(
    (a, b) =>
      rank(a.kind) - rank(b.kind) || a.kind.localeCompare(b.kind) || a.label.localeCompare(b.label),
  );
  const palette = paletteLane(sorted.filter((i) => i.kind === COLOUR_KIND));
  return palette ? [...ordered, palette] : ordered;
}

function keepBest(span: TimelineSpan, item: DetectionItem): void {
  const area = item.area_share ?? (item.box ? item.box.w * item.box.h : 0);
  if (!span.best || area > span.best.area) {
    span.best = { eventId: item.event_id, itemIndex: item.item_index, area };
  }
}

function laneLabel(item: DetectionItem): string {
  if (INSTANT_KINDS.has(item.kind)) return 'scene change';
  return PER_LABEL_KINDS.has(item.kind) ? item.label : item.kind;
}

function rank(kind: string): number {
  return PER_LABEL_KINDS.has(kind) ? 0 : 1;
}

/**
 * One strip of the most dominant colour at each sampled frame, from that frame to the next;
 * neighbouring frames of the same colour join into one span. Null without colour results.
 */
export function paletteLane(colours: readonly DetectionItem[]): TimelineLane | null {
  const dominant = new Map<number, DetectionItem>();
  for (const item of colours) {
    const best = dominant.get(item.media_ts);
    if (!best || item.confidence > best.confidence) dominant.set(item.media_ts, item);
  }
  if (dominant.size === 0) return null;
  const times = [...dominant.keys()].sort((a, b) => a - b);
  const spans: TimelineSpan[] = [];
  times.forEach((t, i) => {
    const colour = dominant.get(t)!.label;
    const end = times[i + 1] ?? t;
    const last = spans[spans.length - 1];
    if (last && last.colour === colour && last.end === t) {
      last.end = end;
      last.count++;
    } else {
      spans.push({ start: t, end, count: 1, colour });
    }
  });
  return { kind: COLOUR_KIND, label: 'palette', spans, palette: true };
}
