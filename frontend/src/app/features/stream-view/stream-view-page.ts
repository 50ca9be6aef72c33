import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  computed,
  inject,
  input,
  signal,
  viewChild,
} from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import {
  EMPTY,
  Observable,
  Subject,
  catchError,
  filter,
  firstValueFrom,
  map,
  merge,
  switchMap,
  tap,
} from 'rxjs';
import { AlertSummary, AlertsApi } from '../../api/alerts-api';
import { DetectionItem, LIVE_RUN, ReanalysisRun, StreamSummary } from '../../api/contract';
import { PlaybackApi } from '../../api/playback-api';
import { ReanalysisApi } from '../../api/reanalysis-api';
import { StreamsApi } from '../../api/streams-api';
import { describeApiError } from '../../core/api-error';
import {
  GapFill,
  GapFillResult,
  missedDetections,
  missedStreams,
  resumePoint,
} from '../../core/gap-fill';
import { LiveFeed } from '../../core/live-feed';
import {
  LiveEvent,
  flattenDetection,
  isDetectionEvent,
  isLifecycleEvent,
} from '../../core/live-events';
import type { Alert } from '../../generated/messages';
import { SettingsStore } from '../../core/settings';
import { ErrorBanner } from '../../shared/error-banner';
import { GapFillNotice } from '../../shared/gap-fill-notice';
import { formatMediaTime } from '../../shared/format';
import { mergePushed } from '../alerts/alerts-page';
import { EvidenceThumbnail } from '../report/evidence-thumbnail';
import { alertMarkers } from './alert-markers';
import { DetectionIndex, mergeNewestFirst } from './detection-index';
import { DetectionTimeline } from './detection-timeline';
import { kindColour } from './overlay-painter';
import { SignedPlayback } from './signed-playback';
import { VideoPlayer } from './video-player';

const PAGE_SIZE = 1000;
const MAX_BACKFILL_PAGES = 20;
/** Pages reloaded for one gap in the live feed: a gap is seconds to minutes of detections. */
const MAX_GAP_PAGES = 20;
const FEED_LENGTH = 150;
/** Stored detections listed for a reanalysis run (the timeline and overlay take them all). */
const RUN_LIST_LENGTH = 500;
/** A stream's alerts placed on its timeline (the newest; the Alerts screen lists them all). */
const ALERT_LIST_LENGTH = 200;

/** A run the stream view can show: `live`, or a reanalysis run of this stream. */
export interface RunOption {
  id: string;
  label: string;
}

/**
 * One stream: the player with boxes in sync with media time, kind toggles, the detections list and
 * the timeline of what appeared when — for the live analysis (stored, then kept current by the
 * notifier's feed) or for any reanalysis run of the stream (its stored detections), chosen with
 * `?run=`.
 */
@Component({
  selector: 'app-stream-view-page',
  imports: [
    RouterLink,
    ErrorBanner,
    GapFillNotice,
    VideoPlayer,
    DetectionTimeline,
    EvidenceThumbnail,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './stream-view-page.html',
  styleUrl: './stream-view-page.css',
})
export class StreamViewPage implements OnInit {
  private readonly api = inject(StreamsApi);
  private readonly feed = inject(LiveFeed);
  private readonly settings = inject(SettingsStore);
  private readonly playbackApi = inject(PlaybackApi);
  private readonly destroyRef = inject(DestroyRef);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  private readonly reanalysis = inject(ReanalysisApi);
  private readonly alertsApi = inject(AlertsApi);
  private readonly player = viewChild(VideoPlayer);
  private index = new DetectionIndex();
  /** Asks for the shown run's stored detections again (Retry after an error). */
  private readonly refetch = new Subject<void>();
  /** Live detections the notifier had to drop (or could not replay): reloaded from results-api. */
  protected readonly gap = new GapFill<number>((from) => this.fillGap(from), Math.min);
  /** Media start of each segment by sequence number, learned from detection messages. */
  private readonly segmentStarts = new Map<number, number>();

  /** Route parameter. */
  readonly id = input.required<string>();
  /** `?run=` query parameter: a reanalysis run id; absent means live. */
  readonly run = input<string | undefined>();
  protected readonly shownRun = computed(() => this.run() || LIVE_RUN);
  protected readonly live = computed(() => this.shownRun() === LIVE_RUN);
  /** This stream's reanalysis runs as the API lists them (newest first), wherever they were started. */
  private readonly runs = signal<ReanalysisRun[]>([]);
  /** Live, then this stream's runs, and the shown one if the list lacks it. */
  protected readonly runOptions = computed<RunOption[]>(() => {
    const options = [
      { id: LIVE_RUN, label: 'live' },
      ...this.runs().map((run) => ({
        id: run.run_id,
        label: `${run.run_id} · ${formatMediaTime(run.from)}–${formatMediaTime(run.to)} · ${run.status}`,
      })),
    ];
    if (!options.some((option) => option.id === this.shownRun())) {
      options.push({ id: this.shownRun(), label: this.shownRun() });
    }
    return options;
  });

  protected readonly stream = signal<StreamSummary | null>(null);
  /** This stream's alerts (newest first), kept current by the notifier's pushes. */
  private readonly alerts = signal<AlertSummary[]>([]);
  protected readonly alertMarks = computed(() => alertMarkers(this.alerts()));
  protected readonly error = signal<string | null>(null);
  /** Bumped whenever the index changes, so computed views of it refresh. */
  private readonly version = signal(0);
  protected readonly items = computed(() => (this.version(), [...this.index.all()]));
  protected readonly kinds = computed(() => (this.version(), this.index.kinds()));
  /** Newest analysed media time: analysis trails the live edge, and the operator should see by how much. */
  protected readonly analysedTo = computed(() => (this.version(), this.index.end()));
  /** How far the picture is ahead of the analysis; beyond a few seconds no box can be drawn. */
  protected readonly analysisLag = computed(() =>
    this.analysedTo() > 0 ? this.currentTime() - this.analysedTo() : 0,
  );
  protected readonly hiddenKinds = signal<ReadonlySet<string>>(new Set());
  protected readonly visibleItems = computed(() =>
    this.items().filter((item) => !this.hiddenKinds().has(item.kind)),
  );
  /** Live detections newest first (by media time), including those a gap fill reloaded. */
  protected readonly liveItems = signal<DetectionItem[]>([]);
  /** The list beside the player: the live feed, or the shown run's detections in media order. */
  protected readonly listItems = computed(() =>
    this.live() ? this.liveItems() : this.items().slice(0, RUN_LIST_LENGTH),
  );
  /** The feed item hovered or focused: a logo sighting shows its evidence frame, one at a time
   * (each is a frame results-api cuts from the stored video). */
  protected readonly previewed = signal<string | null>(null);
  protected readonly currentTime = signal(0);
  protected readonly duration = signal(0);
  protected readonly mediaOffset = signal(0);
  /** The player's signed playlist URLs, asked of the API (with the token) when it loads. */
  protected readonly playback = computed(() => {
    const id = this.id();
    return new SignedPlayback(() =>
      firstValueFrom(this.playbackApi.playback(id)).then((answer) =>
        this.settings.apiUrl(answer.playlist_url),
      ),
    );
  });
  protected readonly fmt = formatMediaTime;
  protected readonly feedKey = (item: DetectionItem) => `${item.event_id}:${item.item_index}`;
  protected readonly colour = kindColour;

  /** What the overlay draws at media time t: the index, minus hidden kinds. */
  protected readonly boxesAt = computed(() => {
    const hidden = this.hiddenKinds();
    return (t: number) => this.index.at(t).filter((item) => !hidden.has(item.kind));
  });

  /** The shown run's stored detections, fetched afresh (into an empty index) when the run changes. */
  private readonly stored = merge(
    toObservable(this.shownRun).pipe(tap(() => this.clearItems())),
    this.refetch.pipe(map(() => this.shownRun())),
  ).pipe(
    switchMap((run) =>
      this.fetchDetections(run).pipe(
        catchError((error: unknown) => {
          this.error.set(describeApiError(error));
          return EMPTY;
        }),
      ),
    ),
  );

  ngOnInit(): void {
    this.loadStream();
    this.loadRuns();
    this.stored
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe((items) => this.addItems(items));
    const unwatch = this.feed.watch([this.id()]);
    this.destroyRef.onDestroy(unwatch);
    const mine = this.feed.events.pipe(
      takeUntilDestroyed(this.destroyRef),
      filter((event) => event.stream_id === this.id()),
    );
    mine.pipe(filter(isDetectionEvent)).subscribe((event) => {
      this.segmentStarts.set(event.payload.segment.sequence, event.payload.segment.media_start);
      if (event.payload.run_id !== LIVE_RUN || !this.live()) {
        return;
      }
      const items = flattenDetection(event.payload, event.event_id);
      this.addItems(items);
      this.liveItems.update((feed) => mergeNewestFirst(feed, items, FEED_LENGTH));
    });
    mine.pipe(filter(isLifecycleEvent)).subscribe(() => this.loadStream());
    this.loadAlerts();
    mine
      .pipe(filter((event): event is LiveEvent<Alert> => event.type === 'alert'))
      .subscribe((event) =>
        this.alerts.update((list) => mergePushed(list, event.payload, { stream_id: this.id() })),
      );
    // Missed events (this client fell behind, or could not resume): the gap starts after what the
    // index holds now, before the live events that follow the frame arrive.
    this.feed.control
      .pipe(
        takeUntilDestroyed(this.destroyRef),
        filter((frame) => this.live() && missedStreams(frame, [this.id()]).length > 0),
      )
      .subscribe(() => this.gap.open(resumePoint(this.index.all())));
  }

  /** Shows another run: the choice lives in the URL (`?run=`), so it can be shared and reloaded. */
  protected selectRun(runId: string): void {
    void this.router.navigate([], {
      relativeTo: this.route,
      queryParams: { run: runId === LIVE_RUN ? null : runId },
      queryParamsHandling: 'merge',
    });
  }

  protected toggleKind(kind: string): void {
    this.hiddenKinds.update((hidden) => {
      const next = new Set(hidden);
      if (!next.delete(kind)) {
        next.add(kind);
      }
      return next;
    });
  }

  protected seek(mediaTime: number): void {
    this.player()?.seek(mediaTime);
  }

  /**
   * Keeps media time and the player's timeline aligned: when hls.js plays segment `sn` starting at
   * `start` on its timeline and we know that segment's media start, the difference is the offset.
   */
  protected onFragment(fragment: { sn: number; start: number }): void {
    const mediaStart = this.segmentStarts.get(fragment.sn);
    if (mediaStart !== undefined) {
      this.mediaOffset.set(mediaStart - fragment.start);
    }
  }

  protected retry(): void {
    this.error.set(null);
    this.loadStream();
    this.loadRuns();
    this.loadAlerts();
    this.refetch.next();
  }

  private loadStream(): void {
    this.api.get(this.id()).subscribe({
      next: (stream) => this.stream.set(stream),
      error: (error: unknown) => this.error.set(describeApiError(error)),
    });
  }

  private loadRuns(): void {
    this.reanalysis.list(this.id()).subscribe({
      next: (runs) => this.runs.set(runs),
      error: (error: unknown) => this.error.set(`Reanalysis runs: ${describeApiError(error)}`),
    });
  }

  private loadAlerts(): void {
    this.alertsApi.list({ stream_id: this.id(), limit: ALERT_LIST_LENGTH }).subscribe({
      next: (alerts) => this.alerts.set(alerts),
      error: (error: unknown) => this.error.set(`Alerts: ${describeApiError(error)}`),
    });
  }

  /** A run's stored detections, page by page (bounded); for live the feed then keeps it current. */
  private fetchDetections(run: string): Observable<DetectionItem[]> {
    return this.api
      .allDetections(this.id(), { run, limit: PAGE_SIZE }, MAX_BACKFILL_PAGES)
      .pipe(map((pages) => pages.items));
  }

  /**
   * Reloads the live detections stored from media time `from` on and merges those the screen
   * lacks into the timeline and the live feed, beside whatever live events arrived meanwhile.
   */
  private fillGap(from: number): Observable<GapFillResult> {
    return this.api
      .allDetections(this.id(), { run: LIVE_RUN, from, limit: PAGE_SIZE }, MAX_GAP_PAGES)
      .pipe(
        map(({ items, complete }) => {
          const missed = this.index.addNew(items);
          if (missed.length) {
            this.version.update((v) => v + 1);
            this.liveItems.update((feed) => mergeNewestFirst(feed, missed, FEED_LENGTH));
          }
          return { summary: `${missedDetections(missed.length)} reloaded`, complete };
        }),
      );
  }

  private clearItems(): void {
    this.index = new DetectionIndex();
    this.gap.reset();
    this.version.update((v) => v + 1);
  }

  private addItems(items: DetectionItem[]): void {
    if (this.index.add(items)) {
      this.version.update((v) => v + 1);
    }
  }
}
