import { ChangeDetectionStrategy, Component, input, signal } from '@angular/core';

/** Copies a value to the clipboard and says so; falls back to selecting it when the API is absent. */
@Component({
  selector: 'app-copy-button',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<button
    type="button"
    class="copy"
    (click)="copy()"
    [attr.aria-label]="'Copy ' + what()"
  >
    {{ copied() ? 'Copied' : 'Copy' }}
  </button>`,
})
export class CopyButton {
  readonly value = input.required<string>();
  readonly what = input('value');
  protected readonly copied = signal(false);

  async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.value());
      this.copied.set(true);
      setTimeout(() => this.copied.set(false), 1500);
    } catch {
      // Clipboard access needs a secure context; on plain http the operator selects the field instead.
      this.copied.set(false);
    }
  }
}
