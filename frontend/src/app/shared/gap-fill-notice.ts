import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import type { GapFillState } from '../core/gap-fill';
import { ErrorBanner } from './error-banner';

/**
 * One quiet line while missed live events are reloaded and once they are ("caught up: ..."), or
 * an error with Retry when they could not be: a screen never shows a silently incomplete feed.
 */
@Component({
  selector: 'app-gap-fill-notice',
  imports: [ErrorBanner],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (state(); as s) {
      @if (s.phase === 'failed') {
        <app-error-banner
          [message]="'Missed live detections could not be reloaded: ' + s.error"
          [retryable]="true"
          (retry)="retry.emit()"
        />
      } @else {
        <p class="gap-notice muted" role="status" data-testid="gap-fill">
          @if (s.phase === 'filling') {
            Live events were missed: reloading them…
          } @else {
            Caught up: {{ s.summary
            }}{{ s.complete ? '' : ' (the gap was too large to reload in full: reload the page)' }}
          }
        </p>
      }
    }
  `,
  styles: `
    .gap-notice {
      margin: 0 0 8px;
      font-size: 0.85rem;
    }
  `,
})
export class GapFillNotice {
  readonly state = input<GapFillState | null>(null);
  readonly retry = output<void>();
}
