import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { LiveFeed } from './core/live-feed';
import { AlertBadge } from './features/alerts/alert-badge';
import { ConnectionBadge } from './shared/connection-badge';

/** The shell: navigation, the notifier connection state, and the current screen. */
@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, ConnectionBadge, AlertBadge],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="shell-header">
      <a class="brand" routerLink="/streams" aria-label="Sightline home">
        <span class="brand-mark" aria-hidden="true">◉</span> Sightline
      </a>
      <nav aria-label="Main">
        @for (link of links; track link.path) {
          <a
            [routerLink]="link.path"
            routerLinkActive="active"
            [routerLinkActiveOptions]="{ exact: false }"
            >{{ link.label }}</a
          >
        }
      </nav>
      <app-alert-badge />
      <app-connection-badge
        [state]="feed.state()"
        [nextRetryAt]="feed.nextRetryAt()"
        [error]="feed.lastError()"
        (retry)="feed.reconnectNow()"
      />
    </header>
    <main id="main" tabindex="-1">
      <router-outlet />
    </main>
  `,
})
export class App {
  protected readonly feed = inject(LiveFeed);
  protected readonly links = [
    { path: '/streams', label: 'Streams' },
    { path: '/exposure', label: 'Brand exposure' },
    { path: '/report', label: 'Sponsor report' },
    { path: '/logos', label: 'Logo library' },
    { path: '/reanalysis', label: 'Reanalysis' },
    { path: '/storage', label: 'Storage' },
    { path: '/alerts', label: 'Alerts' },
    { path: '/settings', label: 'Settings' },
  ];
}
