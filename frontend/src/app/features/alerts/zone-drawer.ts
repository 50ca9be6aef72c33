import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnChanges,
  computed,
  inject,
  input,
  model,
} from '@angular/core';
import { StreamsApi } from '../../api/streams-api';
import { BlobImage, blobImage } from '../../core/blob-image';
import { parseZone } from './alert-format';

type Point = { x: number; y: number };

/** A zone's text ("x,y x,y …", normalised, 3 decimals) from its points. */
export function formatZone(points: readonly Point[]): string {
  return points.map((p) => `${round(p.x)},${round(p.y)}`).join(' ');
}

function round(value: number): number {
  return Math.round(Math.min(Math.max(value, 0), 1) * 1000) / 1000;
}

/** The point a click lands on, in the picture's normalised coordinates. */
export function clickPoint(event: MouseEvent, area: Element): Point {
  const rect = area.getBoundingClientRect();
  return {
    x: round((event.clientX - rect.left) / rect.width),
    y: round((event.clientY - rect.top) / rect.height),
  };
}

/**
 * Draws an alert rule's zone on a still of the stream (its newest stored video): each click adds
 * a corner; the zone is the same "x,y x,y …" text the form's field holds, so typing and drawing
 * show each other. Zones are normalised to the frame, so the still's size does not matter.
 */
@Component({
  selector: 'app-zone-drawer',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="picture">
      @if (image?.url(); as src) {
        <img [src]="src" alt="The stream's newest picture" />
      } @else {
        <div class="placeholder muted">
          {{ image?.failed() ? 'No stored video of this stream yet: type the zone' : '…' }}
        </div>
      }
      <svg
        viewBox="0 0 1 1"
        preserveAspectRatio="none"
        data-testid="zone-canvas"
        (click)="add($event)"
      >
        @if (points().length > 2) {
          <polygon [attr.points]="svgPoints()" />
        } @else if (points().length === 2) {
          <polyline [attr.points]="svgPoints()" />
        }
        @for (p of points(); track $index) {
          <circle [attr.cx]="p.x" [attr.cy]="p.y" r="0.008" />
        }
      </svg>
    </div>
    <div class="row">
      <span class="muted">Click the picture to add the zone's corners.</span>
      <button type="button" (click)="undo()" [disabled]="!points().length">Undo point</button>
      <button type="button" (click)="zone.set('')" [disabled]="!points().length">Clear</button>
    </div>
  `,
  styles: `
    .picture {
      position: relative;
      width: 480px;
      max-width: 100%;
      aspect-ratio: 16 / 9;
      background: var(--panel-2);
    }
    img,
    .placeholder {
      position: absolute;
      inset: 0;
      width: 100%;
      height: 100%;
      object-fit: fill;
    }
    .placeholder {
      display: flex;
      align-items: center;
      justify-content: center;
    }
    svg {
      position: absolute;
      inset: 0;
      width: 100%;
      height: 100%;
      cursor: crosshair;
    }
    polygon,
    polyline {
      fill: rgba(255, 200, 0, 0.25);
      stroke: #ffc800;
      stroke-width: 0.004;
    }
    circle {
      fill: #ffc800;
    }
  `,
})
export class ZoneDrawer implements OnChanges {
  private readonly api = inject(StreamsApi);
  private readonly destroyRef = inject(DestroyRef);
  readonly streamId = input.required<string>();
  /** The zone as the rule form holds it ("x,y x,y …"; empty: no zone). */
  readonly zone = model('');
  protected image: BlobImage | null = null;
  private shownStream = '';

  protected readonly points = computed<Point[]>(() => {
    const parsed = parseZone(this.zone());
    if (Array.isArray(parsed)) return parsed;
    // Fewer than 3 corners are not a zone yet, but they are drawn while clicking.
    const partial = this.zone().trim() ? this.zone().trim().split(/\s+/) : [];
    return partial
      .map((pair) => pair.split(',').map(Number))
      .filter((p) => p.length === 2 && p.every((v) => Number.isFinite(v)))
      .map(([x, y]) => ({ x, y }));
  });
  protected readonly svgPoints = computed(() =>
    this.points()
      .map((p) => `${p.x},${p.y}`)
      .join(' '),
  );

  ngOnChanges(): void {
    if (this.streamId() !== this.shownStream) {
      this.shownStream = this.streamId();
      this.image = blobImage(this.api.snapshot(this.shownStream), this.destroyRef);
    }
  }

  protected add(event: MouseEvent): void {
    const area = event.currentTarget as Element;
    this.zone.set(formatZone([...this.points(), clickPoint(event, area)]));
  }

  protected undo(): void {
    this.zone.set(formatZone(this.points().slice(0, -1)));
  }
}
