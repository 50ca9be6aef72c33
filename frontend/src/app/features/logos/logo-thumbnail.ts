import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  inject,
  input,
  signal,
} from '@angular/core';
import { LogosApi } from '../../api/logos-api';

/** A logo's image fetched with the bearer token (an <img src> cannot send it) as an object URL. */
@Component({
  selector: 'app-logo-thumbnail',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (url(); as src) {
      <img [src]="src" [alt]="alt()" />
    } @else {
      <span class="muted">{{ failed() ? 'no image' : '…' }}</span>
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
  protected readonly url = signal<string | null>(null);
  protected readonly failed = signal(false);

  ngOnInit(): void {
    this.api.image(this.logoId()).subscribe({
      next: (blob) => {
        const url = URL.createObjectURL(blob);
        this.url.set(url);
        this.destroyRef.onDestroy(() => URL.revokeObjectURL(url));
      },
      error: () => this.failed.set(true),
    });
  }
}
