import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';

/** An API or browser error as one readable message, with an optional retry. */
@Component({
  selector: 'app-error-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (message()) {
      <div class="banner banner-error" role="alert">
        <span>{{ message() }}</span>
        @if (retryable()) {
          <button type="button" (click)="retry.emit()">Retry</button>
        }
      </div>
    }
  `,
})
export class ErrorBanner {
  readonly message = input<string | null>(null);
  readonly retryable = input(false);
  readonly retry = output<void>();
}
