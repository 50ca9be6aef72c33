import { DestroyRef, inject, signal } from '@angular/core';
import { Observable, Subscription } from 'rxjs';
import type { DetectionItem } from '../api/contract';
import { describeApiError } from './api-error';
import type { ControlFrame } from './live-events';

/** How long "caught up" stays on screen. */
const FILLED_NOTICE_MS = 15_000;

/** What a screen filled a gap with: a phrase for the status line ("37 missed detections reloaded"). */
export interface GapFillResult {
  summary: string;
  /** False when a page limit stopped the fill before the newest stored detection. */
  complete: boolean;
}

/** What a screen shows about a gap the notifier left in its live data; null: nothing to say. */
export type GapFillState =
  { phase: 'filling' } | ({ phase: 'filled' } & GapFillResult) | { phase: 'failed'; error: string };

/**
 * The watched streams whose live events a control frame says were lost: all of them for
 * `dropped` (the notifier does not say whose frames it discarded), the named ones for `resync`,
 * none for any other frame.
 */
export function missedStreams(frame: ControlFrame, watched: readonly string[]): string[] {
  if (frame.type === 'dropped') {
    return [...watched];
  }
  if (frame.type === 'resync') {
    const named = new Set(frame.streams);
    return named.has('*') ? [...watched] : watched.filter((id) => named.has(id));
  }
  return [];
}

/**
 * The media time from which results-api's listing (ordered by media time, not by arrival) holds
 * everything a gap can have lost, given the live items a screen holds: the oldest of each
 * detector's newest item. Detectors trail the live edge by different delays (visual analysis
 * lags logo matching), so a lost event of one detector can be older than another detector's newest
 * item. 0 when nothing is held: then anything may be missing.
 */
export function resumePoint(items: Iterable<DetectionItem>): number {
  const newest = new Map<string, number>();
  for (const item of items) {
    const name = item.detector.name;
    newest.set(name, Math.max(newest.get(name) ?? 0, item.media_ts));
  }
  return newest.size ? Math.min(...newest.values()) : 0;
}

/**
 * Fills the gaps that `dropped` and `resync` frames leave in a screen's live data from the REST
 * API, and says so in `state`. The point to fill from is taken when the frame arrives, before the
 * live events that follow it move the screen's newest item past the gap, and is kept until a fill
 * succeeds: a second gap during a fill restarts it from the earlier of the two points, and a
 * retry after a failure starts from the same point. Construct it in an injection context.
 *
 * @param fill fetches what is missing from a point and merges it into the screen.
 * @param earliest the earlier of two points.
 */
export class GapFill<P> {
  private readonly current = signal<GapFillState | null>(null);
  readonly state = this.current.asReadonly();
  private pending: { from: P } | null = null;
  private running: Subscription | null = null;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly fill: (from: P) => Observable<GapFillResult>,
    private readonly earliest: (a: P, b: P) => P,
  ) {
    inject(DestroyRef).onDestroy(() => this.reset());
  }

  /** Events after `from` were lost: fill from there (or from an earlier unfilled gap). */
  open(from: P): void {
    this.pending = { from: this.pending ? this.earliest(this.pending.from, from) : from };
    this.start();
  }

  /** Tries the unfilled gap again (after a failure). */
  retry(): void {
    if (this.pending) {
      this.start();
    }
  }

  /** Forgets unfilled gaps: the screen reloaded everything, or shows something else now. */
  reset(): void {
    this.running?.unsubscribe();
    this.running = null;
    this.pending = null;
    this.setState(null);
  }

  private start(): void {
    this.running?.unsubscribe();
    const { from } = this.pending!;
    this.setState({ phase: 'filling' });
    this.running = this.fill(from).subscribe({
      next: (result) => {
        this.pending = null;
        this.setState({ phase: 'filled', ...result });
        this.noticeTimer = setTimeout(() => this.setState(null), FILLED_NOTICE_MS);
      },
      error: (error: unknown) => this.setState({ phase: 'failed', error: describeApiError(error) }),
    });
  }

  private setState(state: GapFillState | null): void {
    if (this.noticeTimer) {
      clearTimeout(this.noticeTimer);
      this.noticeTimer = null;
    }
    this.current.set(state);
  }
}

/** "1 missed detection", "37 missed detections". */
export function missedDetections(count: number): string {
  return `${count} missed detection${count === 1 ? '' : 's'}`;
}
