import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  computed,
  inject,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { RouterLink } from '@angular/router';
import { Observable, filter, forkJoin, interval, map } from 'rxjs';
import { DetectionItem, LIVE_RUN, StreamSummary } from '../../api/contract';
import { StreamsApi } from '../../api/streams-api';
import { describeApiError } from '../../core/api-error';
import { GapFill, GapFillResult, missedStreams, resumePoint } from '../../core/gap-fill';
import { LiveFeed } from '../../core/live-feed';
import { flattenDetection, isDetectionEvent, isLifecycleEvent } from '../../core/live-events';
import { ErrorBanner } from '../../shared/error-banner';
import { GapFillNotice } from '../../shared/gap-fill-notice';
import { Pager } from '../../shared/pager';
import { Paging } from '../../shared/paging';
import { DetectorsAnalysis, observeAnalysis, shownAnalysis, streamAnalysis } from './live-analysis';
import { NewStreamForm } from './new-stream-form';

const REFRESH_MS = 10_000;
const RECENT_PER_STREAM = 4;
const GAP_PAGE_SIZE = 1000;
const MAX_GAP_PAGES = 5;

/** Per stream, where its gap in the live feed starts (media time). */
type GapStarts = ReadonlyMap<string, number>;

/** A chip: what was seen. */
function chipLabel(item: DetectionItem): string {
  return `${item.kind}: ${item.label}`;
}

/** The newest item of each distinct label among `held` and `incoming`, newest first, bounded. */
export function newestLabels(
  held: readonly DetectionItem[],
  incoming: readonly DetectionItem[],
): DetectionItem[] {
  const byLabel = new Map<string, DetectionItem>();
  for (const item of [...held, ...incoming]) {
    const kept = byLabel.get(chipLabel(item));
    if (!kept || item.media_ts >= kept.media_ts) {
      byLabel.set(chipLabel(item), item);
    }
  }
  return [...byLabel.values()].sort((a, b) => b.media_ts - a.media_ts).slice(0, RECENT_PER_STREAM);
}

/** Both gaps' starts, the earlier where both have one stream. */
function earlierStarts(a: GapStarts, b: GapStarts): GapStarts {
  const starts = new Map(a);
  for (const [id, from] of b) {
    starts.set(id, Math.min(from, starts.get(id) ?? from));
  }
  return starts;
}

/** Streams listed per page: an operator with many cameras pages and filters. */
export const STREAMS_PAGE_SIZE = 25;
/** Statuses of a stream whose source is on air (or about to be again): not archivable. */
const ON_AIR = new Set(['live', 'stalled', 'retrying']);

/** The streams whose name, status, source or id contain `text` (any case). */
export function filterStreams(streams: StreamSummary[], text: string): StreamSummary[] {
  const wanted = text.trim().toLowerCase();
  if (!wanted) return streams;
  return streams.filter((s) =>
    [s.name, s.status, s.source.kind, s.source.uri ?? '', s.id].some((field) =>
      field.toLowerCase().includes(wanted),
    ),
  );
}

/**
 * Streams with their live status, source and what was seen last, filtered and paged, finished
 * ones archivable; plus "new stream".
 */
@Component({
  selector: 'app-streams-page',
  imports: [RouterLink, ErrorBanner, GapFillNotice, NewStreamForm, Pager],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="spread">
      <h1>Streams</h1>
      <div class="toolbar">
        <input
          type="search"
          placeholder="Filter by name, status or source"
          aria-label="Filter streams"
          data-testid="streams-filter"
          [value]="filter()"
          (input)="setFilter($any($event.target).value)"
        />
        <label
          ><input
            type="checkbox"
            data-testid="streams-archived"
            [checked]="showArchived()"
            (change)="setShowArchived($any($event.target).checked)"
          />
          Show archived</label
        >
        <button type="button" (click)="load()" [disabled]="loading()">Refresh</button>
      </div>
    </div>
    <app-error-banner [message]="error()" [retryable]="true" (retry)="load()" />
    <app-gap-fill-notice [state]="gap.state()" (retry)="gap.retry()" />
    <div class="stack">
      <section class="card" aria-label="Streams">
        @if (streams().length === 0 && !loading()) {
          <p class="empty">
            {{
              showArchived()
                ? 'No streams yet. Create one below.'
                : 'No current streams: create one below, or show the archived ones.'
            }}
          </p>
        } @else if (filtered().length === 0) {
          <p class="empty">No stream matches "{{ filter() }}".</p>
        } @else {
          <table data-testid="streams-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Source</th>
                <th>Live detections</th>
                <th>Analysis</th>
                <th><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              @for (stream of paging.page(); track stream.id) {
                <tr [class.archived]="stream.archived_at">
                  <td>
                    <a [routerLink]="['/streams', stream.id]">{{ stream.name }}</a>
                    @if (stream.archived_at) {
                      <span class="badge">archived</span>
                    }
                    <div class="muted mono">{{ stream.id }}</div>
                  </td>
                  <td>
                    <span
                      class="badge status-{{ stream.status }}"
                      [attr.title]="stream.status_reason"
                      >{{ stream.status }}</span
                    >
                    @if (stream.status_reason && stream.status !== 'live') {
                      <div class="muted">{{ stream.status_reason }}</div>
                    }
                    @if (shownAnalysis(stream.analysis, liveAnalysis()[stream.id]); as live) {
                      @if (live.degraded) {
                        <span
                          class="badge status-degraded"
                          title="Live analysis fell behind: stale segments are skipped and analysed later by a backfill"
                          >degraded</span
                        >
                      }
                      @if (live.skipped) {
                        <div class="muted">
                          backfill {{ live.backfilled }}/{{ live.skipped }} segments
                        </div>
                      }
                    }
                  </td>
                  <td>
                    {{ stream.source.kind }}
                    @if (stream.source.uri) {
                      <span class="muted mono"> {{ stream.source.uri }}</span>
                    }
                  </td>
                  <td>
                    @for (label of recent()[stream.id] ?? []; track $index) {
                      <span class="chip">{{ label }}</span>
                    } @empty {
                      <span class="muted">–</span>
                    }
                  </td>
                  <td class="muted">
                    {{ stream.policy.detectors?.join(', ') }} · {{ stream.policy.sample_fps }} fps
                  </td>
                  <td class="actions">
                    <a class="button" [routerLink]="['/streams', stream.id]">Open</a>
                    <a class="button" routerLink="/exposure" [queryParams]="{ stream: stream.id }"
                      >Exposure</a
                    >
                    @if (stream.archived_at) {
                      <button type="button" (click)="archive(stream, false)">Restore</button>
                    } @else if (!onAir(stream)) {
                      <button
                        type="button"
                        (click)="archive(stream, true)"
                        [attr.aria-label]="'Archive ' + stream.name"
                        title="Leave the list; video, results and reports are kept"
                      >
                        Archive
                      </button>
                    }
                    <button
                      type="button"
                      class="danger"
                      (click)="remove(stream)"
                      [attr.aria-label]="'Delete ' + stream.name"
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              }
            </tbody>
          </table>
          <app-pager [paging]="paging" label="Stream pages" testId="streams-pager" />
        }
      </section>
      <app-new-stream-form (createdStream)="onCreated($event)" />
    </div>
  `,
  styles: `
    .actions {
      white-space: nowrap;
      text-align: right;
    }
    .actions > * {
      margin-left: 6px;
    }
    .toolbar {
      display: flex;
      gap: 10px;
      align-items: center;
    }
    tr.archived {
      opacity: 0.7;
    }
    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
    }
  `,
})
export class StreamsPage implements OnInit {
  private readonly api = inject(StreamsApi);
  private readonly feed = inject(LiveFeed);
  private readonly destroyRef = inject(DestroyRef);
  private unwatch: (() => void) | null = null;

  protected readonly streams = signal<StreamSummary[]>([]);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  /** Per stream, the newest live item of each distinct label (newest first), from the live feed. */
  private readonly recentItems = signal<Partial<Record<string, DetectionItem[]>>>({});
  /** Newest distinct labels per stream. */
  protected readonly recent = computed<Partial<Record<string, string[]>>>(() =>
    Object.fromEntries(
      Object.entries(this.recentItems()).map(([id, items]) => [id, items!.map(chipLabel)]),
    ),
  );
  /** Per stream and detector, what live detections say of the analysis (degraded, backfill). */
  private readonly analysisByStream = signal<Partial<Record<string, DetectorsAnalysis>>>({});
  /** Per stream, its live analysis over its detectors (absent: nothing seen yet). */
  protected readonly liveAnalysis = computed(() =>
    Object.fromEntries(
      Object.entries(this.analysisByStream()).map(([id, held]) => [id, streamAnalysis(held)]),
    ),
  );
  protected readonly shownAnalysis = shownAnalysis;
  /** Per stream and detector, the newest live item seen: where a gap in the feed starts. */
  private readonly newestSeen = new Map<string, Map<string, DetectionItem>>();
  /** Live detections the notifier had to drop (or could not replay): reloaded from results-api. */
  protected readonly gap = new GapFill<GapStarts>((starts) => this.fillGap(starts), earlierStarts);
  protected readonly ids = computed(() => this.streams().map((s) => s.id));
  /** What the operator typed to find a stream (name, status or source), and whether archived
   * streams are listed (results-api leaves them out unless asked). */
  protected readonly filter = signal('');
  protected readonly showArchived = signal(false);
  protected readonly filtered = computed(() => filterStreams(this.streams(), this.filter()));
  protected readonly paging = new Paging(this.filtered, STREAMS_PAGE_SIZE);

  ngOnInit(): void {
    this.load();
    interval(REFRESH_MS)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe(() => this.load(true));
    this.feed.events
      .pipe(takeUntilDestroyed(this.destroyRef), filter(isLifecycleEvent))
      .subscribe(() => this.load(true));
    this.feed.events
      .pipe(takeUntilDestroyed(this.destroyRef), filter(isDetectionEvent))
      .subscribe((event) => {
        if (event.payload.run_id === LIVE_RUN) {
          this.addRecent(event.stream_id, flattenDetection(event.payload, event.event_id));
          this.analysisByStream.update((held) => ({
            ...held,
            [event.stream_id]: observeAnalysis(held[event.stream_id], event.payload),
          }));
        }
      });
    // Missed events: each stream's gap starts after what the page holds now, before the live
    // events that follow the frame arrive. A stream with nothing held yet has no chip to correct.
    this.feed.control.pipe(takeUntilDestroyed(this.destroyRef)).subscribe((frame) => {
      const starts = new Map<string, number>();
      for (const id of missedStreams(frame, this.ids())) {
        const seen = this.newestSeen.get(id);
        if (seen) {
          starts.set(id, resumePoint(seen.values()));
        }
      }
      if (starts.size) {
        this.gap.open(starts);
      }
    });
    this.destroyRef.onDestroy(() => this.unwatch?.());
  }

  load(quiet = false): void {
    if (!quiet) {
      this.loading.set(true);
    }
    this.api.list({ archived: this.showArchived() }).subscribe({
      next: (streams) => {
        this.loading.set(false);
        this.error.set(null);
        this.streams.set(streams);
        this.rewatch();
      },
      error: (error: unknown) => {
        this.loading.set(false);
        this.error.set(describeApiError(error));
      },
    });
  }

  protected setFilter(text: string): void {
    this.filter.set(text);
    this.paging.index.set(0);
  }

  protected setShowArchived(on: boolean): void {
    this.showArchived.set(on);
    this.load();
  }

  protected onAir(stream: StreamSummary): boolean {
    return ON_AIR.has(stream.status);
  }

  /** Archives a finished stream (it leaves the list, everything is kept) or restores one. */
  archive(stream: StreamSummary, archived: boolean): void {
    this.api.update(stream.id, { archived }).subscribe({
      next: (updated) =>
        this.streams.update((streams) =>
          archived && !this.showArchived()
            ? streams.filter((s) => s.id !== stream.id)
            : streams.map((s) => (s.id === updated.id ? updated : s)),
        ),
      error: (error: unknown) => this.error.set(describeApiError(error)),
    });
  }

  onCreated(stream: StreamSummary): void {
    this.streams.update((streams) => [...streams.filter((s) => s.id !== stream.id), stream]);
    this.rewatch();
    this.load(true);
  }

  remove(stream: StreamSummary): void {
    if (!confirm(`Delete stream "${stream.name}"? Publishing with its key stops working.`)) {
      return;
    }
    this.api.remove(stream.id).subscribe({
      next: () => this.streams.update((streams) => streams.filter((s) => s.id !== stream.id)),
      error: (error: unknown) => this.error.set(describeApiError(error)),
    });
  }

  private addRecent(streamId: string, items: DetectionItem[]): void {
    const seen = this.newestSeen.get(streamId) ?? new Map<string, DetectionItem>();
    for (const item of items) {
      const kept = seen.get(item.detector.name);
      if (!kept || item.media_ts >= kept.media_ts) {
        seen.set(item.detector.name, item);
      }
    }
    this.newestSeen.set(streamId, seen);
    this.recentItems.update((current) => ({
      ...current,
      [streamId]: newestLabels(current[streamId] ?? [], items),
    }));
  }

  /** Reloads each stream's live detections stored since its gap started, for its chips. */
  private fillGap(starts: GapStarts): Observable<GapFillResult> {
    const fills = [...starts].map(([id, from]) =>
      this.api
        .allDetections(id, { run: LIVE_RUN, from, limit: GAP_PAGE_SIZE }, MAX_GAP_PAGES)
        .pipe(map((pages) => ({ id, ...pages }))),
    );
    return forkJoin(fills).pipe(
      map((results) => {
        for (const { id, items } of results) {
          this.addRecent(id, items);
        }
        const count = results.length;
        return {
          summary: `latest detections of ${count} stream${count === 1 ? '' : 's'} reloaded`,
          complete: results.every((result) => result.complete),
        };
      }),
    );
  }

  private rewatch(): void {
    const previous = this.unwatch;
    this.unwatch = this.feed.watch(this.ids());
    previous?.();
  }
}
