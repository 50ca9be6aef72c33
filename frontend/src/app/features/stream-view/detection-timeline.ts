import { ChangeDetectionStrategy, Component, computed, input, output, signal } from '@angular/core';
import type { DetectionItem } from '../../api/contract';
import { formatMediaTime } from '../../shared/format';
import { EvidenceThumbnail } from '../report/evidence-thumbnail';
import { AlertMarker } from './alert-markers';
import { TimelineLane, TimelineSpan } from './timeline-lanes';
import { kindColour } from './overlay-painter';
import { INSTANT_KINDS, buildLanes } from './timeline-lanes';

/**
 * Under the player: a lane of the stream's alerts (where each fired and resolved), one lane per
 * brand, one per other analysis kind and one palette strip of the dominant colours; a bar where it
 * was on screen, a playhead at the current time. Every span and marker is a button: click or
 * Enter seeks there.
 */
@Component({
  selector: 'app-detection-timeline',
  imports: [EvidenceThumbnail],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="timeline" data-testid="timeline" role="group" aria-label="Detection timeline">
      <div class="axis">
        <span>{{ fmt(0) }}</span><span>{{ fmt(span() / 2) }}</span
        ><span>{{ fmt(span()) }}</span>
      </div>
      @if (alerts().length) {
        <div class="lane" data-lane="alerts">
          <div class="lane-label" title="Alerts of this stream">
            <span class="swatch alert-swatch"></span>Alerts
          </div>
          <div class="track" (click)="seekTrack($event)">
            @for (m of alerts(); track m.alertId + m.status) {
              <button
                type="button"
                class="span instant alert-marker"
                [class.resolved]="m.status === 'resolved'"
                data-testid="alert-marker"
                [style.left.%]="pct(m.at)"
                (click)="$event.stopPropagation(); seek.emit(m.at)"
                [attr.aria-label]="m.label + ' at ' + fmt(m.at)"
                [title]="m.label + ' ' + fmt(m.at)"
              ></button>
            }
            <div class="playhead" [style.left.%]="pct(currentTime())" aria-hidden="true"></div>
          </div>
        </div>
      }
      @for (lane of lanes(); track lane.kind + lane.label) {
        <div class="lane" [attr.data-lane]="lane.kind + ':' + lane.label">
          <div class="lane-label" [title]="lane.kind + ': ' + lane.label">
            <span class="swatch" [style.background]="colour(lane.kind)"></span>{{ lane.label }}
          </div>
          <div class="track" (click)="seekTrack($event)">
            @for (s of lane.spans; track s.start) {
              <button
                type="button"
                class="span"
                [class.instant]="instant(lane.kind)"
                [style.left.%]="pct(s.start)"
                [style.width.%]="width(s.start, s.end)"
                [style.background]="s.colour ?? colour(lane.kind)"
                (click)="$event.stopPropagation(); seek.emit(s.start)"
                (mouseenter)="preview(s, lane)"
                (focus)="preview(s, lane)"
                (mouseleave)="previewed.set(null)"
                (blur)="previewed.set(null)"
                [attr.aria-label]="
                  (s.colour ?? lane.label) +
                  ' at ' +
                  fmt(s.start) +
                  (s.end > s.start ? ' to ' + fmt(s.end) : '')
                "
                [title]="(s.colour ?? lane.label) + ' ' + fmt(s.start) + '–' + fmt(s.end)"
              ></button>
            }
            <div class="playhead" [style.left.%]="pct(currentTime())" aria-hidden="true"></div>
            @for (p of previewOn(lane); track p.eventId + p.itemIndex) {
              <div class="preview" [style.left.%]="p.left" data-testid="timeline-preview">
                <app-evidence-thumbnail
                  [eventId]="p.eventId"
                  [itemIndex]="p.itemIndex"
                  [alt]="p.label + ' at ' + fmt(p.at)"
                />
              </div>
            }
          </div>
        </div>
      } @empty {
        <p class="muted empty-lanes">No detections yet for this stream.</p>
      }
    </div>
  `,
  styles: `
    .timeline {
      display: flex;
      flex-direction: column;
      gap: 3px;
      font-size: 0.8rem;
    }
    .axis {
      display: flex;
      justify-content: space-between;
      margin-left: 150px;
      color: var(--muted);
    }
    .lane {
      display: grid;
      grid-template-columns: 150px 1fr;
      align-items: center;
      gap: 0;
    }
    .lane-label {
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
      padding-right: 8px;
    }
    .swatch {
      display: inline-block;
      width: 8px;
      height: 8px;
      border-radius: 2px;
      margin-right: 6px;
    }
    .track {
      position: relative;
      height: 16px;
      background: var(--panel-2);
      border-radius: 3px;
      cursor: pointer;
    }
    .span {
      position: absolute;
      top: 2px;
      height: 12px;
      min-width: 4px;
      padding: 0;
      border: none;
      border-radius: 2px;
      opacity: 0.85;
    }
    .span.instant {
      width: 3px !important;
      min-width: 3px;
      top: 0;
      height: 16px;
    }
    .alert-swatch,
    .alert-marker {
      background: #e8590c;
    }
    .alert-marker.resolved {
      background: #2f9e44;
    }
    .span:hover,
    .span:focus-visible {
      opacity: 1;
    }
    .playhead {
      position: absolute;
      top: -2px;
      bottom: -2px;
      width: 2px;
      background: #fff;
      pointer-events: none;
    }
    .preview {
      position: absolute;
      bottom: 18px;
      transform: translateX(-50%);
      z-index: 2;
      padding: 3px;
      background: var(--panel);
      border: 1px solid var(--panel-2);
      border-radius: 4px;
      pointer-events: none;
    }
    .empty-lanes {
      margin: 6px 0;
    }
  `,
})
export class DetectionTimeline {
  readonly items = input.required<readonly DetectionItem[]>();
  /** The end of the axis: the video's duration or the newest media time, whichever is larger. */
  readonly duration = input(0);
  readonly currentTime = input(0);
  /** The stream's alert transitions (fired, resolved) at their stream times. */
  readonly alerts = input<readonly AlertMarker[]>([]);
  readonly seek = output<number>();

  protected readonly lanes = computed(() => buildLanes(this.items()));
  protected readonly span = computed(() => {
    const last = this.items().length ? this.items()[this.items().length - 1].media_ts : 0;
    return Math.max(1, this.duration() || 0, last, this.currentTime());
  });
  protected readonly fmt = formatMediaTime;
  protected readonly colour = kindColour;
  /** The brand sighting whose frame is shown above its lane while a span is hovered/focused. */
  readonly previewed = signal<{
    lane: string;
    label: string;
    eventId: string;
    itemIndex: number;
    at: number;
    left: number;
  } | null>(null);

  /** Shows the frame of a brand span's largest sighting (made from the stored video). */
  protected preview(span: TimelineSpan, lane: TimelineLane): void {
    if (span.best) {
      const at = (span.start + span.end) / 2;
      const { eventId, itemIndex } = span.best;
      const key = `${lane.kind}:${lane.label}`;
      this.previewed.set({
        lane: key,
        label: lane.label,
        eventId,
        itemIndex,
        at,
        left: this.pct(at),
      });
    }
  }

  protected previewOn(lane: TimelineLane) {
    const shown = this.previewed();
    return shown && shown.lane === `${lane.kind}:${lane.label}` ? [shown] : [];
  }

  protected instant(kind: string): boolean {
    return INSTANT_KINDS.has(kind);
  }

  protected pct(t: number): number {
    return Math.min(100, Math.max(0, (t / this.span()) * 100));
  }

  protected width(start: number, end: number): number {
    return Math.max(0.4, this.pct(end) - this.pct(start));
  }

  /** A click on an empty part of a lane seeks there too. */
  protected seekTrack(event: MouseEvent): void {
    const track = event.currentTarget as HTMLElement;
    const box = track.getBoundingClientRect();
    this.seek.emit(((event.clientX - box.left) / box.width) * this.span());
  }
}
