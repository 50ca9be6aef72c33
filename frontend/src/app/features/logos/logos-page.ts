import {
  ChangeDetectionStrategy,
  Component,
  OnInit,
  computed,
  inject,
  signal,
} from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Logo } from '../../api/contract';
import { LogosApi } from '../../api/logos-api';
import { describeApiError } from '../../core/api-error';
import { ErrorBanner } from '../../shared/error-banner';
import { Pager } from '../../shared/pager';
import { Paging } from '../../shared/paging';
import { LogoThumbnail } from './logo-thumbnail';

const MAX_BYTES = 5 * 1024 * 1024;
/** Logos shown per page: a season's sponsor library runs to hundreds, each a thumbnail to load. */
export const LOGOS_PAGE_SIZE = 24;

/** The logos whose brand contains `text` (any case). */
export function filterLogos(logos: Logo[], text: string): Logo[] {
  const wanted = text.trim().toLowerCase();
  return wanted ? logos.filter((l) => l.brand.toLowerCase().includes(wanted)) : logos;
}

/** The brand from a file name: "acme-cola_logo.png" → "acme cola logo". */
export function brandFromFileName(name: string): string {
  return name
    .replace(/\.[^.]+$/, '')
    .replace(/[-_]+/g, ' ')
    .trim();
}

/** Checks a file before upload so the operator hears about a wrong file at once. */
export function rejectReason(file: File): string | null {
  if (!file.type.startsWith('image/')) {
    return `${file.name}: not an image (${file.type || 'unknown type'}).`;
  }
  if (file.size > MAX_BYTES) {
    return `${file.name}: larger than 5 MB.`;
  }
  return null;
}

/**
 * Reference images the logo detector matches: drop files (or pick them), name the brand, see the
 * library as thumbnails, delete. The detectors follow the logo-library topic and pick changes up
 * within seconds.
 */
@Component({
  selector: 'app-logos-page',
  imports: [FormsModule, ErrorBanner, LogoThumbnail, Pager],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Logo library</h1>
    <app-error-banner [message]="error()" [retryable]="true" (retry)="load()" />
    <section class="card stack">
      <label class="inline brand"
        >Brand
        <input
          name="brand"
          [(ngModel)]="brand"
          placeholder="from the file name if empty"
          data-testid="logo-brand"
      /></label>
      <label
        class="drop"
        [class.over]="dragOver()"
        (dragover)="$event.preventDefault(); dragOver.set(true)"
        (dragleave)="dragOver.set(false)"
        (drop)="onDrop($event)"
        data-testid="drop-zone"
      >
        <input
          type="file"
          accept="image/*"
          multiple
          (change)="onPick($event)"
          class="file"
          data-testid="logo-file"
        />
        <strong>Drop logo images here</strong>
        <span class="muted"
          >or press Enter / click to choose files · PNG, JPEG, WebP · up to 5 MB</span
        >
      </label>
      @if (uploading() > 0) {
        <p role="status">Uploading {{ uploading() }} file(s)…</p>
      }
    </section>
    @if (logos().length > pageSize) {
      <label class="inline find"
        >Find a brand
        <input
          type="search"
          [value]="filter()"
          (input)="setFilter($any($event.target).value)"
          data-testid="logos-filter"
      /></label>
    }
    <section class="grid" aria-label="Logos" data-testid="logo-grid">
      @for (logo of paging.page(); track logo.id) {
        <figure class="card tile">
          <app-logo-thumbnail [logoId]="logo.id" [alt]="logo.brand + ' logo'" />
          <figcaption class="spread">
            <span>{{ logo.brand }}</span>
            <button
              type="button"
              class="danger"
              (click)="remove(logo)"
              [attr.aria-label]="'Delete ' + logo.brand + ' logo'"
            >
              Delete
            </button>
          </figcaption>
        </figure>
      } @empty {
        @if (logos().length > 0) {
          <p class="empty">No brand matches "{{ filter() }}".</p>
        } @else if (!loading()) {
          <p class="empty">No logos yet: the logo detector has nothing to look for.</p>
        }
      }
    </section>
    <app-pager [paging]="paging" label="Logo pages" testId="logos-pager" />
  `,
  styles: `
    .brand input,
    .find input {
      width: 260px;
    }
    .find {
      margin-top: 16px;
    }
    .drop {
      position: relative;
      border: 2px dashed var(--line);
      border-radius: var(--radius);
      padding: 28px;
      align-items: center;
      text-align: center;
      color: var(--text);
      cursor: pointer;
    }
    .drop.over,
    .drop:focus-within {
      border-color: var(--accent);
      background: #16283a;
    }
    .file {
      position: absolute;
      inset: 0;
      opacity: 0;
      cursor: pointer;
    }
    .grid {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(180px, 1fr));
      gap: 12px;
      margin-top: 16px;
    }
    .grid .empty {
      grid-column: 1 / -1;
    }
    .tile {
      margin: 0;
      padding: 10px;
      display: flex;
      flex-direction: column;
      gap: 8px;
    }
  `,
})
export class LogosPage implements OnInit {
  private readonly api = inject(LogosApi);
  protected brand = '';
  protected readonly logos = signal<Logo[]>([]);
  protected readonly loading = signal(false);
  protected readonly uploading = signal(0);
  protected readonly dragOver = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly filter = signal('');
  protected readonly pageSize = LOGOS_PAGE_SIZE;
  protected readonly paging = new Paging(
    computed(() => filterLogos(this.logos(), this.filter())),
    LOGOS_PAGE_SIZE,
  );

  ngOnInit(): void {
    this.load();
  }

  load(): void {
    this.loading.set(true);
    this.api.list().subscribe({
      next: (logos) => {
        this.loading.set(false);
        this.error.set(null);
        this.logos.set(logos);
      },
      error: (error: unknown) => {
        this.loading.set(false);
        this.error.set(describeApiError(error));
      },
    });
  }

  protected setFilter(text: string): void {
    this.filter.set(text);
    this.paging.index.set(0);
  }

  onDrop(event: DragEvent): void {
    event.preventDefault();
    this.dragOver.set(false);
    this.upload([...(event.dataTransfer?.files ?? [])]);
  }

  onPick(event: Event): void {
    const input = event.target as HTMLInputElement;
    this.upload([...(input.files ?? [])]);
    input.value = '';
  }

  upload(files: File[]): void {
    const problems = files.map(rejectReason).filter((reason): reason is string => reason !== null);
    this.error.set(problems.length ? problems.join(' ') : null);
    for (const file of files.filter((f) => rejectReason(f) === null)) {
      const brand = this.brand.trim() || brandFromFileName(file.name);
      this.uploading.update((n) => n + 1);
      this.api.upload(brand, file).subscribe({
        next: (logo) => {
          this.uploading.update((n) => n - 1);
          this.logos.update((logos) => [...logos, logo]);
        },
        error: (error: unknown) => {
          this.uploading.update((n) => n - 1);
          this.error.set(`${file.name}: ${describeApiError(error)}`);
        },
      });
    }
    this.brand = '';
  }

  remove(logo: Logo): void {
    if (!confirm(`Delete the ${logo.brand} logo? The detectors stop matching it within seconds.`)) {
      return;
    }
    this.api.remove(logo.id).subscribe({
      next: () => this.logos.update((logos) => logos.filter((l) => l.id !== logo.id)),
      error: (error: unknown) => this.error.set(describeApiError(error)),
    });
  }
}
