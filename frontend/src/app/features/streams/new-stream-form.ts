import { ChangeDetectionStrategy, Component, inject, output, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { SourceKind, StreamCreate, StreamCreated, StreamSummary } from '../../api/contract';
import { StreamsApi } from '../../api/streams-api';
import { describeApiError } from '../../core/api-error';
import { CopyButton } from '../../shared/copy-button';

interface Draft {
  name: string;
  kind: SourceKind;
  uri: string;
  loop: boolean;
  sampleFps: number;
  detectors: Record<string, boolean>;
}

export const DETECTORS = ['logo', 'visual'] as const;

/** Builds the create request from the form: only the fields the chosen source kind uses. */
export function toStreamCreate(draft: Draft): StreamCreate {
  const source: StreamCreate['source'] = { kind: draft.kind };
  if (draft.kind === 'file' || draft.kind === 'webcam') {
    source.uri = draft.uri.trim();
  }
  if (draft.kind === 'file' || draft.kind === 'test') {
    source.loop = draft.loop;
  }
  return {
    name: draft.name.trim(),
    source,
    policy: {
      sample_fps: draft.sampleFps,
      detectors: DETECTORS.filter((name) => draft.detectors[name]),
    },
  };
}

/**
 * "New stream": name, source kind and the fields that kind needs. For RTMP the result panel shows
 * the server URL and the stream key (shown once) with copy buttons, ready to paste into OBS.
 */
@Component({
  selector: 'app-new-stream-form',
  imports: [FormsModule, CopyButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="card stack" (ngSubmit)="submit()" aria-labelledby="new-stream-title">
      <h2 id="new-stream-title">New stream</h2>
      <div class="fields">
        <label
          >Name
          <input
            name="name"
            [(ngModel)]="draft.name"
            required
            maxlength="200"
            data-testid="stream-name"
        /></label>
        <label
          >Source
          <select name="kind" [(ngModel)]="draft.kind" data-testid="stream-kind">
            <option value="rtmp">RTMP push (OBS, ffmpeg)</option>
            <option value="webcam">Webcam / capture device</option>
            <option value="file">File or URL</option>
            <option value="test">Test pattern</option>
          </select>
        </label>
        @if (draft.kind === 'file') {
          <label class="wide"
            >File path or URL
            <input
              name="uri"
              [(ngModel)]="draft.uri"
              required
              placeholder="/data/match.mp4 or https://…"
          /></label>
        }
        @if (draft.kind === 'webcam') {
          <label class="wide"
            >Device <input name="uri" [(ngModel)]="draft.uri" required placeholder="/dev/video0"
          /></label>
        }
        @if (draft.kind === 'file' || draft.kind === 'test') {
          <label class="inline"
            ><input type="checkbox" name="loop" [(ngModel)]="draft.loop" /> Loop</label
          >
        }
        <label
          >Analysed frames per second
          <input
            name="fps"
            type="number"
            min="0.1"
            max="30"
            step="0.1"
            [(ngModel)]="draft.sampleFps"
        /></label>
        <fieldset class="row">
          <legend class="muted">Detectors</legend>
          @for (name of detectors; track name) {
            <label class="inline"
              ><input type="checkbox" [name]="'det-' + name" [(ngModel)]="draft.detectors[name]" />
              {{ name }}</label
            >
          }
        </fieldset>
      </div>
      <div class="row">
        <button
          class="primary"
          type="submit"
          [disabled]="busy() || !draft.name.trim()"
          data-testid="create-stream"
        >
          Create stream
        </button>
        @if (error()) {
          <span class="bad" role="alert">{{ error() }}</span>
        }
      </div>
      @if (created(); as c) {
        <section class="created" aria-live="polite" data-testid="created">
          <h3>Stream created — the key is shown only now</h3>
          <div class="secret">
            <span>RTMP server</span><code data-testid="rtmp-url">{{ c.rtmp_url }}</code
            ><app-copy-button [value]="c.rtmp_url" what="RTMP server URL" /> <span>Stream key</span
            ><code data-testid="stream-key">{{ c.stream_key }}</code
            ><app-copy-button [value]="c.stream_key" what="stream key" />
            <span>Full publish URL</span><code data-testid="publish-url">{{ c.publish_url }}</code
            ><app-copy-button [value]="c.publish_url" what="publish URL" />
          </div>
          <p class="muted">
            OBS: Settings → Stream → Custom, paste the server and the key. ffmpeg:
            <code>ffmpeg -re -i input.mp4 -c:v libx264 -f flv "{{ c.publish_url }}"</code>
          </p>
        </section>
      }
    </form>
  `,
  styles: `
    .fields {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
      gap: 12px;
      align-items: end;
    }
    .wide {
      grid-column: span 2;
    }
    fieldset {
      border: none;
      padding: 0;
      margin: 0;
    }
    .created {
      border-top: 1px solid var(--line);
      padding-top: 12px;
    }
    .bad {
      color: var(--bad);
    }
  `,
})
export class NewStreamForm {
  private readonly api = inject(StreamsApi);
  readonly createdStream = output<StreamSummary>();

  protected readonly detectors = DETECTORS;
  protected draft: Draft = this.blank();
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly created = signal<StreamCreated | null>(null);

  submit(): void {
    const body = toStreamCreate(this.draft);
    this.busy.set(true);
    this.error.set(null);
    this.api.create(body).subscribe({
      next: (created) => {
        this.busy.set(false);
        this.created.set(created);
        this.createdStream.emit(created);
        this.draft = this.blank();
      },
      error: (error: unknown) => {
        this.busy.set(false);
        this.error.set(describeApiError(error));
      },
    });
  }

  private blank(): Draft {
    return {
      name: '',
      kind: 'rtmp',
      uri: '',
      loop: true,
      sampleFps: 2,
      detectors: { logo: true, visual: true },
    };
  }
}
