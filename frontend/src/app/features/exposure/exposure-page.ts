import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  inject,
  input,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { Router } from '@angular/router';
import { filter, throttleTime } from 'rxjs';
import { ExposureReport, LIVE_RUN, StreamSummary } from '../../api/contract';
import { StreamsApi } from '../../api/streams-api';
import { describeApiError } from '../../core/api-error';
import { missedStreams } from '../../core/gap-fill';
import { LiveFeed } from '../../core/live-feed';
import type { LiveEvent } from '../../core/live-events';
import type { Detection, ExposureUpdate } from '../../generated/messages';
import { ErrorBanner } from '../../shared/error-banner';
import { formatPercent } from '../../shared/format';
import { ExposureCharts } from './exposure-charts';
import { downloadText, exposureCsv } from './exposure-csv';

/** The run a detection or exposure event belongs to (LIVE_RUN or a reanalysis run id). */
function eventRun(event: LiveEvent): string {
  return (event.payload as Detection | ExposureUpdate).run_id;
}

/**
 * Per-brand screen time, share of voice and prominence for one stream, live-updating, exportable;
 * for the live analysis, or for a reanalysis run chosen with `?run=`.
 */
@Component({
  selector: 'app-exposure-page',
  imports: [FormsModule, ErrorBanner, ExposureCharts],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Brand exposure</h1>
    <form class="card row query" (ngSubmit)="load()">
      <label
        >Stream
        <select
          name="stream"
          [(ngModel)]="streamId"
          (ngModelChange)="showLive()"
          data-testid="exposure-stream"
        >
          <option value="" disabled>Choose a stream</option>
          @for (s of streams(); track s.id) {
            <option [value]="s.id">{{ s.name }} ({{ s.status }})</option>
          }
        </select>
      </label>
      <label
        >From (s) <input name="from" type="number" min="0" [(ngModel)]="from" placeholder="start"
      /></label>
      <label
        >To (s) <input name="to" type="number" min="0" [(ngModel)]="to" placeholder="now"
      /></label>
      <label>Window (s) <input name="window" type="number" min="1" [(ngModel)]="window" /></label>
      <button class="primary" type="submit" [disabled]="!streamId">Show</button>
      <button type="button" (click)="exportCsv()" [disabled]="!report()" data-testid="export-csv">
        Export CSV
      </button>
    </form>
    @if (runId) {
      <p class="row" data-testid="exposure-run">
        <span
          >Reanalysis run <span class="mono">{{ runId }}</span></span
        >
        <button type="button" (click)="showLive()" data-testid="exposure-show-live">
          Show live
        </button>
      </p>
    }
    <app-error-banner [message]="error()" [retryable]="!!streamId" (retry)="load()" />
    @if (report(); as r) {
      @if (r.totals.length === 0) {
        <p class="card empty">No brand seen in this range yet.</p>
      } @else {
        <section class="card stack">
          <table data-testid="exposure-table">
            <thead>
              <tr>
                <th>Brand</th>
                <th class="num">Screen time</th>
                <th class="num">Share of voice</th>
                <th class="num">Prominence</th>
              </tr>
            </thead>
            <tbody>
              @for (b of r.totals; track b.brand) {
                <tr>
                  <td>{{ b.brand }}</td>
                  <td class="num">{{ b.screen_time.toFixed(1) }} s</td>
                  <td class="num">{{ pct(b.share_of_voice) }}</td>
                  <td class="num">{{ pct(b.prominence) }}</td>
                </tr>
              }
            </tbody>
          </table>
          <app-exposure-charts [report]="r" />
        </section>
      }
    } @else if (!streamId) {
      <p class="card empty">Choose a stream to see its brand exposure.</p>
    }
  `,
  styles: `
    .query {
      align-items: end;
      margin-bottom: 12px;
    }
    .query input {
      width: 110px;
    }
  `,
})
export class ExposurePage implements OnInit {
  private readonly api = inject(StreamsApi);
  private readonly feed = inject(LiveFeed);
  private readonly router = inject(Router);
  private readonly destroyRef = inject(DestroyRef);
  private unwatch: (() => void) | null = null;

  /** `?stream=` query parameter. */
  readonly stream = input<string | undefined>();
  /** `?run=` query parameter: a reanalysis run id; absent means live. */
  readonly run = input<string | undefined>();
  protected streamId = '';
  protected runId = '';
  protected from: number | null = null;
  protected to: number | null = null;
  protected window = 10;
  protected readonly streams = signal<StreamSummary[]>([]);
  protected readonly report = signal<ExposureReport | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly pct = formatPercent;

  ngOnInit(): void {
    this.streamId = this.stream() ?? '';
    this.runId = this.run() ?? '';
    this.api.list().subscribe({
      next: (streams) => this.streams.set(streams),
      error: (error: unknown) => this.error.set(describeApiError(error)),
    });
    if (this.streamId) {
      this.load();
    }
    // Exposure aggregates arrive as windows close: refresh, at most every 5 s.
    this.feed.events
      .pipe(
        takeUntilDestroyed(this.destroyRef),
        filter(
          (event) =>
            event.stream_id === this.streamId &&
            (event.type === 'exposure' || event.type === 'detection') &&
            eventRun(event) === (this.runId || LIVE_RUN),
        ),
        throttleTime(5000, undefined, { leading: true, trailing: true }),
      )
      .subscribe(() => this.load(true));
    // Missed events: the report is computed by results-api from everything stored, so reloading
    // it fills the gap (an error shows with Retry, as for any load).
    this.feed.control
      .pipe(
        takeUntilDestroyed(this.destroyRef),
        filter((frame) => !!this.streamId && missedStreams(frame, [this.streamId]).length > 0),
      )
      .subscribe(() => this.load(true));
    this.destroyRef.onDestroy(() => this.unwatch?.());
  }

  load(quiet = false): void {
    if (!this.streamId) {
      return;
    }
    if (!quiet) {
      void this.router.navigate([], {
        queryParams: { stream: this.streamId, run: this.runId || null },
        replaceUrl: true,
      });
      this.unwatch?.();
      this.unwatch = this.feed.watch([this.streamId]);
    }
    const query = {
      from: this.from ?? undefined,
      to: this.to ?? undefined,
      window: this.window || undefined,
      run: this.runId || undefined,
    };
    this.api.exposure(this.streamId, query).subscribe({
      next: (report) => {
        this.error.set(null);
        this.report.set({ ...report, totals: report.totals ?? [], windows: report.windows ?? [] });
      },
      error: (error: unknown) => this.error.set(describeApiError(error)),
    });
  }

  /** Shows the chosen stream's live analysis: a reanalysis run belongs to one stream. */
  showLive(): void {
    this.runId = '';
    this.load();
  }

  exportCsv(): void {
    const report = this.report();
    if (report) {
      const name = this.runId ? `${this.streamId}-${this.runId}` : this.streamId;
      downloadText(`exposure-${name}.csv`, exposureCsv(this.streamId, report));
    }
  }
}
