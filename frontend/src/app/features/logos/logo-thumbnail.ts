import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  inject,
  input,
} from '@angular/core';
import { BlobImage, blobImage } from '../../core/blob-image';
import { LogosApi } from '../../api/logos-api';

/** A logo's image fetched with the bearer token (an <img src> cannot send it) as an object URL. */
@Component({
  selector: 'app-logo-thumbnail',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (image?.url(); as src) {
      <img [src]="src" [alt]="alt()" />
    } @else {
      <span class="muted">{{ image?.failed() ? 'no image' : '…' }}</span>
    }
  `,
  styles: `
    :host {
      display: flex;
      align-items: center;
      justify-content: center;
      height: 110px;
      background: #fff1;
      border-radius: 4px;
    }
    img {
      max-width: 100%;
      max-height: 110px;
      object-fit: contain;
    }
  `,
})
export class LogoThumbnail implements OnInit {
  private readonly api = inject(LogosApi);
  private readonly destroyRef = inject(DestroyRef);
  readonly logoId = input.required<string>();
  readonly alt = input('');
  protected image: BlobImage | null = null;

  ngOnInit(): void {
    this.image = blobImage(this.api.image(this.logoId()), this.destroyRef);
  }
}
