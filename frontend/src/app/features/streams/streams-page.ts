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
import { filter, interval } from 'rxjs';
import { StreamSummary } from '../../api/contract';
import { StreamsApi } from '../../api/streams-api';
import { describeApiError } from '../../core/api-error';
import { LiveFeed } from '../../core/live-feed';
import { flattenDetection, isDetectionEvent, isLifecycleEvent } from '../../core/live-events';
import { ErrorBanner } from '../../shared/error-banner';
import { NewStreamForm } from './new-stream-form';

const REFRESH_MS = 10_000;
const RECENT_PER_STREAM = 4;

/** Every stream with its live status, source and what was seen last; plus "new stream". */
@Component({
  selector: 'app-streams-page',
  imports: [RouterLink, ErrorBanner, NewStreamForm],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="spread">
      <h1>Streams</h1>
      <button type="button" (click)="load()" [disabled]="loading()">Refresh</button>
    </div>
    <app-error-banner [message]="error()" [retryable]="true" (retry)="load()" />
    <div class="stack">
      <section class="card" aria-label="Streams">
        @if (streams().length === 0 && !loading()) {
          <p class="empty">No streams yet. Create one below.</p>
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
              @for (stream of streams(); track stream.id) {
                <tr>
                  <td>
                    <a [routerLink]="['/streams', stream.id]">{{ stream.name }}</a>
                    <div class="muted mono">{{ stream.id }}</div>
                  </td>
                  <td>
                    <span class="badge status-{{ stream.status }}">{{ stream.status }}</span>
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
  /** Newest distinct labels per stream, from the live feed. */
  protected readonly recent = signal<Partial<Record<string, string[]>>>({});
  protected readonly ids = computed(() => this.streams().map((s) => s.id));

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
        const labels = flattenDetection(event.payload, event.event_id).map(
          (item) => `${item.kind}: ${item.label}`,
        );
        this.recent.update((current) => {
          const merged = [...new Set([...labels.reverse(), ...(current[event.stream_id] ?? [])])];
          return { ...current, [event.stream_id]: merged.slice(0, RECENT_PER_STREAM) };
        });
      });
    this.destroyRef.onDestroy(() => this.unwatch?.());
  }

  load(quiet = false): void {
    if (!quiet) {
      this.loading.set(true);
    }
    this.api.list().subscribe({
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

  private rewatch(): void {
    const previous = this.unwatch;
    this.unwatch = this.feed.watch(this.ids());
    previous?.();
  }
}
