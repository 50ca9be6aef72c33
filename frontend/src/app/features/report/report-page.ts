import {
  ChangeDetectionStrategy,
  Component,
  OnInit,
  computed,
  inject,
  signal,
} from '@angular/core';
import { FormsModule } from '@angular/forms';
import type { StreamSummary } from '../../api/contract';
import { ReportQuery, ReportsApi, SponsorReport } from '../../api/reports-api';
import { StreamsApi } from '../../api/streams-api';
import { describeApiError } from '../../core/api-error';
import { ErrorBanner } from '../../shared/error-banner';
import { formatMediaTime, formatPercent } from '../../shared/format';
import { EvidenceThumbnail } from './evidence-thumbnail';
import { BarRow, ReportBars } from './report-bars';
import { timelineLanes, topExposures } from './report-view';

/**
 * The sponsor exposure report: pick streams and a range of stream time, read the charts
 * (screen time and media value per brand, the exposure timeline, the top exposures), download
 * the PDF or CSV; each top exposure shows its evidence frame; set a stream's rate card when it
 * has none.
 */
@Component({
  selector: 'app-report-page',
  imports: [FormsModule, ErrorBanner, ReportBars, EvidenceThumbnail],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './report-page.html',
  styleUrl: './report-page.css',
})
export class ReportPage implements OnInit {
  private readonly streamsApi = inject(StreamsApi);
  private readonly api = inject(ReportsApi);

  protected readonly streams = signal<StreamSummary[]>([]);
  protected readonly chosen = signal<ReadonlySet<string>>(new Set());
  protected from: number | null = null;
  protected to: number | null = null;
  /** The run reported on (empty: live) and another run to set beside it (e.g. live). */
  protected run = '';
  protected compare = '';
  protected readonly report = signal<SponsorReport | null>(null);
  protected readonly error = signal('');
  protected readonly busy = signal(false);
  protected card = { streamId: '', currency: 'EUR', cost: 1000 };

  protected readonly fmt = formatMediaTime;
  protected readonly pct = formatPercent;
  protected readonly unvalued = computed(
    () => this.report()?.streams.filter((s) => !s.rate_card) ?? [],
  );
  protected readonly timeBars = computed<BarRow[]>(() =>
    (this.report()?.brands ?? []).map((b) => ({
      label: b.brand,
      full: b.seconds,
      weighted: b.quality_seconds,
    })),
  );
  protected readonly valueBars = computed<BarRow[]>(() =>
    (this.report()?.brands ?? []).map((b) => ({
      label: b.brand,
      full: b.value.full ?? 0,
      weighted: b.value.quality ?? 0,
    })),
  );
  protected readonly lanes = computed(() => {
    const r = this.report();
    return r ? timelineLanes(r) : null;
  });
  protected readonly top = computed(() => topExposures(this.report()?.exposures ?? [], 10));
  protected readonly seconds = (v: number) => `${v.toFixed(1)} s`;
  protected readonly signed = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
  protected readonly money = (v: number) =>
    `${v.toLocaleString(undefined, { maximumFractionDigits: 0 })} ${this.report()?.currency ?? ''}`;

  ngOnInit(): void {
    this.streamsApi.list({ archived: true }).subscribe({
      next: (streams) => {
        this.streams.set(streams);
        if (streams.length === 1) this.chosen.set(new Set([streams[0].id]));
      },
      error: (e: unknown) => this.error.set(describeApiError(e)),
    });
  }

  protected toggle(id: string, on: boolean): void {
    const next = new Set(this.chosen());
    if (on) next.add(id);
    else next.delete(id);
    this.chosen.set(next);
  }

  private query(): ReportQuery {
    return {
      streams: [...this.chosen()],
      from: this.from,
      to: this.to,
      run: this.run.trim() || undefined,
      compare: this.compare.trim() || undefined,
    };
  }

  load(): void {
    if (this.chosen().size === 0) return;
    this.busy.set(true);
    this.api.report(this.query()).subscribe({
      next: (r) => {
        this.report.set(r);
        this.error.set('');
        this.busy.set(false);
        this.card.streamId = r.streams.find((s) => !s.rate_card)?.stream_id ?? '';
      },
      error: (e: unknown) => {
        this.error.set(describeApiError(e));
        this.busy.set(false);
      },
    });
  }

  download(format: 'pdf' | 'csv', table = 'brands'): void {
    this.api.download(this.query(), format, table).subscribe({
      next: (blob) =>
        saveBlob(blob, `exposure-report.${format === 'pdf' ? 'pdf' : `${table}.csv`}`),
      error: (e: unknown) => this.error.set(describeApiError(e)),
    });
  }

  saveCard(): void {
    const { streamId, currency, cost } = this.card;
    this.api
      .setRateCard(streamId, { currency: currency.toUpperCase(), cost_per_30s: Number(cost) })
      .subscribe({
        next: () => this.load(),
        error: (e: unknown) => this.error.set(describeApiError(e)),
      });
  }
}

/** Offers a downloaded file to the browser as a download. */
function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
