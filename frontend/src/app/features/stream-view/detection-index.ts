import type { DetectionItem } from '../../api/contract';

/** A detection's identity across the REST backfill and the live feed, which can both carry it. */
export function detectionKey(item: DetectionItem): string {
  return `${item.event_id}:${item.item_index}`;
}

/**
 * The newest `limit` of a newest-first list and incoming items, newest first by media time (items
 * of one frame in reverse result order), without repeating an item: the live feed stays ordered
 * however late an item arrives, from the notifier or from filling a gap.
 */
export function mergeNewestFirst(
  list: readonly DetectionItem[],
  incoming: readonly DetectionItem[],
  limit: number,
): DetectionItem[] {
  const seen = new Set<string>();
  return [...incoming, ...list]
    .filter((item) => {
      const key = detectionKey(item);
      return !seen.has(key) && Boolean(seen.add(key));
    })
    .sort(
      (a, b) =>
        b.media_ts - a.media_ts ||
        (a.event_id === b.event_id
          ? b.item_index - a.item_index
          : a.event_id < b.event_id
            ? 1
            : -1),
    )
    .slice(0, limit);
}

/**
 * Detections of one stream ordered by media time, deduplicated, so that the overlay can ask
 * "what is on screen at t" with a binary search on every video frame.
 */
export class DetectionIndex {
  private readonly items: DetectionItem[] = [];
  private readonly keys = new Set<string>();

  get size(): number {
    return this.items.length;
  }

  all(): readonly DetectionItem[] {
    return this.items;
  }

  /** Adds items, ignoring ones already present; returns how many were new. */
  add(incoming: readonly DetectionItem[]): number {
    return this.addNew(incoming).length;
  }

  /** Adds items, ignoring ones already present (or repeated); returns the ones that were new. */
  addNew(incoming: readonly DetectionItem[]): DetectionItem[] {
    const added: DetectionItem[] = [];
    for (const item of incoming) {
      const key = detectionKey(item);
      if (this.keys.has(key)) {
        continue;
      }
      this.keys.add(key);
      this.items.splice(this.upperBound(item.media_ts), 0, item);
      added.push(item);
    }
    return added;
  }

  /**
   * What to draw at media time `t`: for each detector and kind, the results of its newest frame
   * at or before `t` (plus a small tolerance for frame-timing jitter), if no older than `hold`
   * seconds. Detectors sample a few frames per second, so a box stays up until the next sample.
   */
  at(t: number, hold = 0.75, tolerance = 0.04): DetectionItem[] {
    const end = this.upperBound(t + tolerance);
    const newestFrame = new Map<string, number>();
    const shown: DetectionItem[] = [];
    for (let i = end - 1; i >= 0; i--) {
      const item = this.items[i];
      if (item.media_ts < t - hold) {
        break;
      }
      const group = `${item.detector.name}|${item.kind}`;
      const frameTs = newestFrame.get(group);
      if (frameTs === undefined) {
        newestFrame.set(group, item.media_ts);
      } else if (frameTs !== item.media_ts) {
        continue;
      }
      shown.push(item);
    }
    return shown.reverse();
  }

  kinds(): string[] {
    return [...new Set(this.items.map((item) => item.kind))].sort();
  }

  /** Latest media time seen, or 0 for an empty index. */
  end(): number {
    return this.items.length ? this.items[this.items.length - 1].media_ts : 0;
  }

  private upperBound(t: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid].media_ts <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
