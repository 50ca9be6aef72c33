import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  computed,
  inject,
  input,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { Subscription, switchMap, takeWhile, timer } from 'rxjs';
import { ReanalysisRun, RunDiff, StreamSummary } from '../../api/contract';
import { ReanalysisApi } from '../../api/reanalysis-api';
import { StreamsApi } from '../../api/streams-api';
import { describeApiError } from '../../core/api-error';
import { ErrorBanner } from '../../shared/error-banner';
import { Pager } from '../../shared/pager';
import { Paging } from '../../shared/paging';
import { formatMediaTime } from '../../shared/format';
import { DETECTORS } from '../streams/new-stream-form';
import { RunDiffView } from './run-diff-view';
import { RunProgress, isFinished } from './run-progress';

const POLL_MS = 2000;
/** Runs listed per page. */
export const RUNS_PAGE_SIZE = 10;

/** Parses the optional detector config; an empty field means the detectors' defaults. */
export function parseConfig(text: string): Record<string, unknown> | undefined {
  if (!text.trim()) {
    return undefined;
  }
  const value: unknown = JSON.parse(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('Config must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** Re-run detectors over a stored time range, follow the run, compare it with another run. */
@Component({
  selector: 'app-reanalysis-page',
  imports: [FormsModule, RouterLink, ErrorBanner, RunDiffView, RunProgress, Pager],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './reanalysis-page.html',
  styles: `
    .fields {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(180px, 1fr));
      gap: 12px;
      align-items: end;
    }
    fieldset {
      border: none;
      padding: 0;
      margin: 0;
    }
    textarea {
      min-height: 60px;
      font-family: ui-monospace, monospace;
    }
    .selected {
      background: var(--panel-2);
    }
    .run-failed {
      color: var(--bad);
      border-color: var(--bad);
    }
  `,
})
export class ReanalysisPage implements OnInit {
  private readonly streamsApi = inject(StreamsApi);
  private readonly api = inject(ReanalysisApi);
  private readonly destroyRef = inject(DestroyRef);
  private polls = new Map<string, Subscription>();
  private listing?: Subscription;

  /** `?stream=` query parameter. */
  readonly stream = input<string | undefined>();
  protected readonly streams = signal<StreamSummary[]>([]);
  /** The stream runs are started for and listed of. */
  protected readonly streamId = signal('');
  /** The chosen stream's runs from the API, newest first, kept current while polled; null until listed. */
  protected readonly runs = signal<ReanalysisRun[] | null>(null);
  /** The runs a page at a time: a stream reanalysed after every model change has many. */
  protected readonly runPaging = new Paging(
    computed(() => this.runs() ?? []),
    RUNS_PAGE_SIZE,
  );
  protected readonly error = signal<string | null>(null);
  protected readonly diff = signal<RunDiff | null>(null);
  protected readonly detectors = DETECTORS;
  protected readonly fmt = formatMediaTime;
  protected form = {
    from: 0,
    to: 60,
    detectors: { logo: true, visual: true } as Record<string, boolean>,
    config: '',
  };
  protected compare = { runId: '', against: 'live' };

  ngOnInit(): void {
    this.streamId.set(this.stream() ?? '');
    this.streamsApi.list({ archived: true }).subscribe({
      next: (streams) => this.streams.set(streams),
      error: (error: unknown) => this.error.set(describeApiError(error)),
    });
    this.loadRuns();
    this.destroyRef.onDestroy(() => {
      this.listing?.unsubscribe();
      this.polls.forEach((poll) => poll.unsubscribe());
    });
  }

  /** Another stream chosen: its runs replace the list. */
  selectStream(streamId: string): void {
    this.streamId.set(streamId);
    this.loadRuns();
  }

  /**
   * Lists the chosen stream's runs, wherever they were started (here or with the CLI), and follows
   * those still working. Runs of the stream shown before are no longer polled, except the one
   * being compared.
   */
  loadRuns(): void {
    this.listing?.unsubscribe();
    this.runs.set(null);
    [...this.polls.keys()]
      .filter((runId) => runId !== this.compare.runId)
      .forEach((runId) => this.stopFollowing(runId));
    const streamId = this.streamId();
    if (!streamId) {
      return;
    }
    this.listing = this.api.list(streamId).subscribe({
      next: (runs) => {
        this.runs.set(runs);
        runs.filter((run) => !isFinished(run)).forEach((run) => this.follow(run.run_id));
      },
      error: (error: unknown) => this.error.set(`Runs: ${describeApiError(error)}`),
    });
  }

  start(): void {
    let config: Record<string, unknown> | undefined;
    try {
      config = parseConfig(this.form.config);
    } catch (error) {
      this.error.set(`Detector config: ${(error as Error).message}`);
      return;
    }
    if (this.form.to <= this.form.from) {
      this.error.set('The end of the range must be after its start.');
      return;
    }
    this.error.set(null);
    const body = {
      stream_id: this.streamId(),
      from: this.form.from,
      to: this.form.to,
      detectors: this.detectors.filter((name) => this.form.detectors[name]),
      ...(config ? { config } : {}),
    };
    this.api.start(body).subscribe({
      next: (run) => {
        this.runs.update((runs) => [run, ...(runs ?? []).filter((r) => r.run_id !== run.run_id)]);
        this.compare.runId = run.run_id;
        this.follow(run.run_id);
      },
      error: (error: unknown) => this.error.set(describeApiError(error)),
    });
  }

  /** Compares the chosen runs, and follows the run so that its progress shows while it works. */
  showDiff(): void {
    this.diff.set(null);
    this.loadDiff(this.compare.runId, this.compare.against);
    const known = this.selected();
    if (!known || !isFinished(known)) {
      this.follow(this.compare.runId);
    }
  }

  cancel(runId: string): void {
    this.api.cancel(runId).subscribe({
      next: (run) => this.update(run),
      error: (error: unknown) => this.error.set(`Run ${runId}: ${describeApiError(error)}`),
    });
  }

  /** The run chosen for comparison, as last polled, when it is one of the listed runs. */
  protected selected(): ReanalysisRun | undefined {
    return this.runs()?.find((run) => run.run_id === this.compare.runId);
  }

  protected finished(run: ReanalysisRun): boolean {
    return isFinished(run);
  }

  /** Polls a run until it is done, failed or cancelled, keeping its entry in the list current. */
  private follow(runId: string): void {
    if (this.polls.has(runId)) {
      return;
    }
    const poll = timer(0, POLL_MS)
      .pipe(
        switchMap(() => this.api.get(runId)),
        takeWhile((run) => !isFinished(run), true),
        takeUntilDestroyed(this.destroyRef),
      )
      .subscribe({
        next: (run) => {
          this.update(run);
          // A diff of a run still working is partial: compare again once it has finished.
          const shown = this.diff();
          if (isFinished(run) && shown?.run_id === runId) {
            this.loadDiff(runId, shown.against);
          }
        },
        error: (error: unknown) => {
          this.polls.delete(runId);
          this.error.set(`Run ${runId}: ${describeApiError(error)}`);
        },
        complete: () => this.polls.delete(runId),
      });
    this.polls.set(runId, poll);
  }

  private stopFollowing(runId: string): void {
    this.polls.get(runId)?.unsubscribe();
    this.polls.delete(runId);
  }

  private update(run: ReanalysisRun): void {
    this.runs.update((runs) => runs && runs.map((r) => (r.run_id === run.run_id ? run : r)));
  }

  private loadDiff(runId: string, against: string): void {
    this.api.diff(runId, against).subscribe({
      next: (diff) => this.diff.set(diff),
      error: (error: unknown) => this.error.set(describeApiError(error)),
    });
  }
}
