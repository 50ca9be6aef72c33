import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  inject,
  input,
  signal,
} from '@angular/core';
import { ReportsApi } from '../../api/reports-api';

/**
 * An exposure's evidence: its best frame with the logo's box, fetched with the bearer token (an
 * <img src> cannot send it) as an object URL; made by results-api from the stored video.
 */
@Component({
  selector: 'app-evidence-thumbnail',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (url(); as src) {
      <img [src]="src" [alt]="alt()" data-testid="evidence" />
    } @else {
      <span class="muted">{{ failed() ? 'video gone' : '…' }}</span>
    }
  `,
  styles: `
    img {
      width: 160px;
      border-radius: 3px;
      display: block;
    }
  `,
})
export class EvidenceThumbnail implements OnInit {
  private readonly api = inject(ReportsApi);
  private readonly destroyRef = inject(DestroyRef);
  readonly eventId = input.required<string>();
  readonly itemIndex = input.required<number>();
  readonly alt = input('');
  protected readonly url = signal<string | null>(null);
  protected readonly failed = signal(false);

  ngOnInit(): void {
    this.api.evidence(this.eventId(), this.itemIndex()).subscribe({
      next: (blob) => {
        const url = URL.createObjectURL(blob);
        this.url.set(url);
        this.destroyRef.onDestroy(() => URL.revokeObjectURL(url));
      },
      error: () => this.failed.set(true),
    });
  }
}
