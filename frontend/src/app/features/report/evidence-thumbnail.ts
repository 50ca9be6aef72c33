import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  inject,
  input,
} from '@angular/core';
import { BlobImage, blobImage } from '../../core/blob-image';
import { ReportsApi } from '../../api/reports-api';

/**
 * An exposure's evidence: its best frame with the logo's box, fetched with the bearer token (an
 * <img src> cannot send it) as an object URL; made by results-api from the stored video.
 */
@Component({
  selector: 'app-evidence-thumbnail',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (image?.url(); as src) {
      <img [src]="src" [alt]="alt()" data-testid="evidence" />
    } @else {
      <span class="muted">{{ image?.failed() ? 'video gone' : '…' }}</span>
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
  protected image: BlobImage | null = null;

  ngOnInit(): void {
    this.image = blobImage(this.api.evidence(this.eventId(), this.itemIndex()), this.destroyRef);
  }
}
