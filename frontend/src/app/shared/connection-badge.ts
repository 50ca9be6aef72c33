import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { ConnectionState } from '../core/live-feed';

const LABELS: Record<ConnectionState, string> = {
  offline: 'Live feed off',
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting',
  refused: 'Live feed refused',
};

/** The notifier connection as the operator sees it: a dot, a word, and a retry when it is down. */
@Component({
  selector: 'app-connection-badge',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <span
      class="conn conn-{{ state() }}"
      role="status"
      [attr.title]="error() ?? ''"
      data-testid="ws-state"
    >
      <span class="dot" aria-hidden="true"></span>
      {{ label() }}
      @if (retryIn() !== null) {
        <span class="muted">in {{ retryIn() }} s</span>
      }
    </span>
    @if (state() === 'reconnecting' || state() === 'refused') {
      <button type="button" class="link-button" (click)="retry.emit()">Retry now</button>
    }
  `,
  host: { class: 'conn-wrap' },
})
export class ConnectionBadge {
  readonly state = input.required<ConnectionState>();
  readonly nextRetryAt = input<number | null>(null);
  readonly error = input<string | null>(null);
  readonly retry = output<void>();

  protected readonly label = computed(() => LABELS[this.state()]);
  protected readonly retryIn = computed(() => {
    const at = this.nextRetryAt();
    return at === null ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
  });
}
