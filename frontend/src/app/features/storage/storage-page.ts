import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Pin, StorageReport, StreamStorage } from '../../api/contract';
import { StorageApi } from '../../api/storage-api';
import { describeApiError } from '../../core/api-error';
import { ErrorBanner } from '../../shared/error-banner';
import { formatMediaTime, formatPercent } from '../../shared/format';
import { daysToLifetime, formatBytes, formatLifetime, lifetimeToDays } from './storage-format';

/** The days typed for one stream, before they are saved. */
interface Draft {
  video: string;
  results: string;
}

/**
 * Storage: how full the object store is (and the warning before it fills), the video each stream
 * keeps, and each stream's retention, editable in days (empty follows the default, 0 keeps for
 * ever), and its pins (stretches kept past retention). What happens when the store fills is
 * said on the screen, as results-api does it.
 */
@Component({
  selector: 'app-storage-page',
  imports: [FormsModule, DatePipe, ErrorBanner],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Storage</h1>
    <app-error-banner [message]="error()" [retryable]="true" (retry)="load()" />
    @if (report(); as r) {
      @if (r.warning) {
        <div class="banner banner-warning" role="status" data-testid="storage-warning">
          {{ r.warning }}
        </div>
      }
      <section class="card stack" aria-label="Object store" data-testid="store-space">
        <div class="spread">
          <strong
            >{{ bytes(r.store.used_bytes) }} used of {{ bytes(r.store.total_bytes) }} ·
            {{ percent(r.store.fill) }}</strong
          >
          <span class="muted">{{ bytes(r.store.free_bytes) }} free</span>
        </div>
        <meter
          min="0"
          max="1"
          [value]="r.store.fill"
          [attr.low]="r.warn_fraction"
          [attr.high]="r.evict_fraction"
          optimum="0"
          aria-label="Object store fill"
        ></meter>
        <p class="muted">
          Sizes from the {{ r.store.source }}. Warning from {{ percent(r.warn_fraction) }}; from
          {{ percent(r.evict_fraction) }} the oldest unpinned video older than
          {{ lifetime(r.video_min_retention_s) }} is deleted first.
        </p>
      </section>
      <section class="card" aria-label="Streams">
        @if (r.streams.length === 0) {
          <p class="empty">No streams yet.</p>
        } @else {
          <table data-testid="storage-table">
            <thead>
              <tr>
                <th>Stream</th>
                <th>Video stored</th>
                <th>Oldest</th>
                <th>Keep video (days)</th>
                <th>Keep results (days)</th>
                <th>Pins</th>
                <th><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              @for (stream of r.streams; track stream.stream_id) {
                <tr [attr.data-testid]="'storage-row-' + stream.stream_id">
                  <td>
                    {{ stream.name }}
                    <div class="muted mono">{{ stream.stream_id }}</div>
                  </td>
                  <td [attr.data-testid]="'stored-' + stream.stream_id">
                    {{ bytes(stream.bytes) }}
                    <div class="muted">{{ stream.segments }} segments</div>
                  </td>
                  <td class="muted">{{ stream.oldest ? (stream.oldest | date: 'short') : '–' }}</td>
                  <td>
                    <input
                      class="days"
                      inputmode="decimal"
                      [attr.aria-label]="'Days of video kept for ' + stream.name"
                      [attr.data-testid]="'video-days-' + stream.stream_id"
                      [ngModel]="draft(stream).video"
                      (ngModelChange)="edit(stream, 'video', $event)"
                      [placeholder]="'default: ' + lifetime(stream.effective_retention.video_s)"
                    />
                    <div class="muted" [attr.data-testid]="'video-kept-' + stream.stream_id">
                      {{ lifetime(stream.effective_retention.video_s) }}
                    </div>
                  </td>
                  <td>
                    <input
                      class="days"
                      inputmode="decimal"
                      [attr.aria-label]="'Days of results kept for ' + stream.name"
                      [attr.data-testid]="'results-days-' + stream.stream_id"
                      [ngModel]="draft(stream).results"
                      (ngModelChange)="edit(stream, 'results', $event)"
                      [placeholder]="'default: ' + lifetime(stream.effective_retention.results_s)"
                    />
                    <div class="muted">{{ lifetime(stream.effective_retention.results_s) }}</div>
                  </td>
                  <td>
                    <button
                      type="button"
                      class="link"
                      (click)="openPins(stream)"
                      [attr.aria-label]="'Pins of ' + stream.name"
                      [attr.data-testid]="'pins-' + stream.stream_id"
                    >
                      {{ stream.pins }}
                    </button>
                  </td>
                  <td class="actions">
                    <button
                      type="button"
                      (click)="save(stream)"
                      [disabled]="saving() === stream.stream_id"
                      [attr.aria-label]="'Save retention of ' + stream.name"
                    >
                      Save
                    </button>
                  </td>
                </tr>
              }
            </tbody>
          </table>
        }
      </section>
      @if (saved()) {
        <p role="status" data-testid="storage-saved">{{ saved() }}</p>
      }
      @if (pinsOf(); as stream) {
        <section class="card stack" aria-label="Pins" data-testid="pins-panel">
          <h2>Pins of {{ stream.name }}</h2>
          <p class="muted">
            A pinned stretch keeps its video and results past retention and a full store's eviction
            until it is unpinned. Video that already expired does not come back.
          </p>
          <ul class="pins">
            @for (pin of pins(); track pin.id) {
              <li class="spread">
                <span
                  >{{ mediaTime(pin.from) }}–{{ mediaTime(pin.to) }}
                  <span class="muted">{{ pin.reason }}</span></span
                >
                <button
                  type="button"
                  class="danger"
                  (click)="unpin(stream, pin.id)"
                  [attr.aria-label]="'Unpin ' + mediaTime(pin.from) + '–' + mediaTime(pin.to)"
                >
                  Unpin
                </button>
              </li>
            } @empty {
              <li class="muted">Nothing pinned.</li>
            }
          </ul>
          <div class="inline">
            <label
              >From (s)
              <input class="secs" inputmode="decimal" [(ngModel)]="pinFrom" data-testid="pin-from"
            /></label>
            <label
              >To (s)
              <input class="secs" inputmode="decimal" [(ngModel)]="pinTo" data-testid="pin-to"
            /></label>
            <label
              >Reason <input [(ngModel)]="pinReason" data-testid="pin-reason" maxlength="500"
            /></label>
            <button type="button" (click)="addPin(stream)" data-testid="pin-add">Pin</button>
          </div>
        </section>
      }
    } @else if (!error()) {
      <p role="status">Loading…</p>
    }
  `,
  styles: `
    meter {
      width: 100%;
      height: 18px;
    }
    .days {
      width: 9em;
    }
    .secs {
      width: 7em;
    }
    .pins {
      list-style: none;
      padding: 0;
      margin: 0;
    }
    button.link {
      background: none;
      border: none;
      text-decoration: underline;
      cursor: pointer;
      color: inherit;
    }
    .banner-warning {
      border-color: #b58900;
      background: #2b2410;
    }
  `,
})
export class StoragePage implements OnInit {
  private readonly api = inject(StorageApi);
  protected readonly report = signal<StorageReport | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly saving = signal<string | null>(null);
  protected readonly saved = signal<string | null>(null);
  private readonly drafts = signal<Record<string, Draft>>({});

  protected readonly bytes = formatBytes;
  protected readonly lifetime = formatLifetime;
  protected readonly percent = formatPercent;
  protected readonly mediaTime = (seconds: number) => formatMediaTime(seconds);

  protected readonly pinsOf = signal<StreamStorage | null>(null);
  protected readonly pins = signal<Pin[]>([]);
  protected pinFrom = '';
  protected pinTo = '';
  protected pinReason = '';

  ngOnInit(): void {
    this.load();
  }

  load(): void {
    this.api.report().subscribe({
      next: (report) => {
        this.error.set(null);
        this.report.set(report);
      },
      error: (err: unknown) => this.error.set(describeApiError(err)),
    });
  }

  protected draft(stream: StreamStorage): Draft {
    return (
      this.drafts()[stream.stream_id] ?? {
        video: lifetimeToDays(stream.retention.video_s),
        results: lifetimeToDays(stream.retention.results_s),
      }
    );
  }

  protected edit(stream: StreamStorage, field: keyof Draft, value: string): void {
    this.drafts.update((all) => ({
      ...all,
      [stream.stream_id]: { ...this.draft(stream), [field]: value },
    }));
  }

  protected save(stream: StreamStorage): void {
    const draft = this.draft(stream);
    let retention;
    try {
      retention = {
        video_s: daysToLifetime(draft.video),
        results_s: daysToLifetime(draft.results),
      };
    } catch (err) {
      this.error.set(describeApiError(err));
      return;
    }
    this.saving.set(stream.stream_id);
    this.saved.set(null);
    this.api.setRetention(stream.stream_id, retention).subscribe({
      next: () => {
        this.saving.set(null);
        this.error.set(null);
        this.drafts.update(({ [stream.stream_id]: _, ...rest }) => rest);
        this.saved.set(`Retention of ${stream.name} saved.`);
        this.load();
      },
      error: (err: unknown) => {
        this.saving.set(null);
        this.error.set(describeApiError(err));
      },
    });
  }

  protected openPins(stream: StreamStorage): void {
    this.pinsOf.set(stream);
    this.api.pins(stream.stream_id).subscribe({
      next: (pins) => this.pins.set(pins),
      error: (err: unknown) => this.error.set(describeApiError(err)),
    });
  }

  protected addPin(stream: StreamStorage): void {
    const from = Number(this.pinFrom);
    const to = Number(this.pinTo);
    if (this.pinFrom.trim() === '' || !(from >= 0) || !(to > from)) {
      this.error.set('A pin needs From and To in stream seconds, with From before To.');
      return;
    }
    this.api.pin(stream.stream_id, from, to, this.pinReason.trim()).subscribe({
      next: () => {
        this.error.set(null);
        this.pinFrom = this.pinTo = this.pinReason = '';
        this.refreshPins(stream);
      },
      error: (err: unknown) => this.error.set(describeApiError(err)),
    });
  }

  protected unpin(stream: StreamStorage, pinId: string): void {
    this.api.unpin(stream.stream_id, pinId).subscribe({
      next: () => this.refreshPins(stream),
      error: (err: unknown) => this.error.set(describeApiError(err)),
    });
  }

  private refreshPins(stream: StreamStorage): void {
    this.openPins(stream);
    this.load();
  }
}
