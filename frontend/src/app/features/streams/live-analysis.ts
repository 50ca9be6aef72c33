import type { Detection } from '../../generated/messages';

/** What the live feed told this page about one stream's live analysis since it opened. */
export interface LiveAnalysis {
  /** A detector's newest live detection was made while the stream had fallen behind. */
  readonly degraded: boolean;
  /** Segments skipped live under overload (handed to a backfill), as the detections report. */
  readonly skipped: number;
  /** Of those, the segments backfill runs have analysed since (at most `skipped`). */
  readonly backfilled: number;
}

/** Per detector name, one stream's live analysis. */
export type DetectorsAnalysis = Readonly<Record<string, LiveAnalysis>>;

const NOTHING: LiveAnalysis = { degraded: false, skipped: 0, backfilled: 0 };

/**
 * `held` updated with one live-run detection: a live one sets its detector's mode and adds the
 * segments skipped before it; a backfill one counts one skipped segment analysed. A detection
 * without `analysis` (older detectors) changes nothing.
 */
export function observeAnalysis(
  held: DetectorsAnalysis | undefined,
  detection: Detection,
): DetectorsAnalysis {
  const analysis = detection.analysis;
  const before = held ?? {};
  if (!analysis) {
    return before;
  }
  const name = detection.detector.name;
  const was = before[name] ?? NOTHING;
  const now: LiveAnalysis =
    analysis.mode === 'backfill'
      ? { ...was, backfilled: was.backfilled + 1 }
      : {
          degraded: analysis.mode === 'degraded',
          skipped: was.skipped + (analysis.shed_before ?? 0),
          backfilled: was.backfilled,
        };
  return { ...before, [name]: now };
}

/**
 * One stream's analysis over its detectors (degraded when any is); null when nothing was seen.
 * Backfilled segments are capped at the skipped ones this page saw (backfills of segments skipped
 * before it opened are not counted twice against it).
 */
export function streamAnalysis(held: DetectorsAnalysis | undefined): LiveAnalysis | null {
  const all = Object.values(held ?? {});
  if (!all.length) {
    return null;
  }
  const skipped = all.reduce((sum, a) => sum + a.skipped, 0);
  const backfilled = all.reduce((sum, a) => sum + Math.min(a.backfilled, a.skipped), 0);
  return {
    degraded: all.some((a) => a.degraded),
    skipped,
    backfilled: Math.min(backfilled, skipped),
  };
}

/**
 * What a stream row shows: the live feed's degraded state when it has one (it is newer), else
 * results-api's; the backfill counts of results-api (the last hour) when it has them, else the
 * feed's (since the page opened).
 */
export function shownAnalysis(
  stored: LiveAnalysis | null | undefined,
  fed: LiveAnalysis | null | undefined,
): LiveAnalysis | null {
  if (!fed) {
    return stored ?? null;
  }
  if (!stored) {
    return fed;
  }
  const counts = stored.skipped ? stored : fed;
  return { degraded: fed.degraded, skipped: counts.skipped, backfilled: counts.backfilled };
}
