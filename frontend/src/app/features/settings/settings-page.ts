import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Router } from '@angular/router';
import { describeApiError } from '../../core/api-error';
import { ConnectionSettings, SettingsStore } from '../../core/settings';

/** Where the operator pastes the API token and, when not proxied, the API and WebSocket URLs. */
@Component({
  selector: 'app-settings-page',
  imports: [FormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Settings</h1>
    @if (first()) {
      <div class="banner banner-info" role="status">
        Paste an API token to start.
        <span class="muted"
          >Create one with <code>sightline token create --name you</code>;
          <code>make run</code> prints a demo token.</span
        >
      </div>
    }
    <form class="card stack settings-form" (ngSubmit)="save()">
      <label
        >API token
        <input
          name="token"
          type="password"
          autocomplete="off"
          [(ngModel)]="draft.token"
          required
          data-testid="token"
        />
      </label>
      <label
        >results-api base URL
        <span class="muted">empty: this origin, /api proxied to results-api</span>
        <input
          name="apiBase"
          type="url"
          placeholder="http://127.0.0.1:8000"
          [(ngModel)]="draft.apiBase"
        />
      </label>
      <label
        >Notifier WebSocket base URL
        <span class="muted">empty: this origin, /ws proxied to the notifier</span>
        <input
          name="wsBase"
          type="url"
          placeholder="ws://127.0.0.1:8001"
          [(ngModel)]="draft.wsBase"
        />
      </label>
      <div class="row">
        <button class="primary" type="submit">Save</button>
        <button type="button" (click)="test()">Test connection</button>
        @if (result(); as r) {
          <span role="status" [class.ok]="r.ok" [class.bad]="!r.ok">{{ r.text }}</span>
        }
      </div>
    </form>
  `,
  styles: `
    .settings-form {
      max-width: 640px;
    }
    .ok {
      color: var(--ok);
    }
    .bad {
      color: var(--bad);
    }
  `,
})
export class SettingsPage {
  private readonly store = inject(SettingsStore);
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);

  /** Set by the route guard when no token is saved yet. */
  readonly first = input<string | undefined>();
  protected draft: ConnectionSettings = { ...this.store.settings() };
  protected readonly result = signal<{ ok: boolean; text: string } | null>(null);

  save(): void {
    this.store.save(this.draft);
    this.result.set({ ok: true, text: 'Saved.' });
    if (this.first()) {
      void this.router.navigateByUrl('/streams');
    }
  }

  test(): void {
    this.store.save(this.draft);
    this.result.set(null);
    this.http.get<unknown[]>('/api/streams').subscribe({
      next: (streams) =>
        this.result.set({ ok: true, text: `Connected: ${streams.length} stream(s).` }),
      error: (error: unknown) => this.result.set({ ok: false, text: describeApiError(error) }),
    });
  }
}
