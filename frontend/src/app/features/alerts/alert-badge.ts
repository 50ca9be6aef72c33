import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { AlertsApi } from '../../api/alerts-api';
import { SettingsStore } from '../../core/settings';

/** How often the header asks for ongoing, unacknowledged alerts (a count, cheap to ask). */
export const BADGE_POLL_MS = 15_000;

/**
 * The header's alert badge: ongoing alerts nobody acknowledged yet, linking to the Alerts screen.
 * Polled rather than pushed: a live count would mean receiving every stream's events everywhere.
 */
@Component({
  selector: 'app-alert-badge',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (count() > 0) {
      <a
        class="badge status-failed"
        routerLink="/alerts"
        data-testid="alert-badge"
        [attr.aria-label]="count() + ' ongoing alerts'"
        >{{ count() }}</a
      >
    }
  `,
})
export class AlertBadge {
  private readonly api = inject(AlertsApi);
  private readonly settings = inject(SettingsStore);
  protected readonly count = signal(0);

  constructor() {
    this.refresh();
    const timer = setInterval(() => this.refresh(), BADGE_POLL_MS);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  refresh(): void {
    if (!this.settings.hasToken()) {
      return;
    }
    this.api.list({ status: 'fired', acknowledged: false, limit: 1000 }).subscribe({
      next: (alerts) => this.count.set(alerts.length),
      error: () => this.count.set(0),
    });
  }
}
