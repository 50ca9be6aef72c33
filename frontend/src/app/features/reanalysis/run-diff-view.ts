import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import type { DetectionItem, ExposureDelta, RunDiff } from '../../api/contract';
import { formatMediaTime } from '../../shared/format';

/** What a run found that the other did not, what it lost, and what moved or changed confidence. */
@Component({
  selector: 'app-run-diff-view',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="row counts" data-testid="diff-counts">
      <span class="badge added">+{{ diff().added.length }} added</span>
      <span class="badge removed">−{{ diff().removed.length }} removed</span>
      <span class="badge changed">~{{ diff().changed.length }} changed</span>
      @if (diff().truncated) {
        <span class="muted">(a run had more detections than were compared)</span>
      }
    </div>
    <h3>Screen time per brand</h3>
    @if (diff().exposure.length === 0) {
      <p class="empty" data-testid="exposure-delta-empty">No logos in either run.</p>
    } @else {
      <table data-testid="exposure-delta">
        <thead>
          <tr>
            <th>Brand</th>
            <th class="num" [attr.title]="diff().against">
              {{ diff().against === 'live' ? 'Live' : 'Against' }} (s)
            </th>
            <th class="num" [attr.title]="diff().run_id">This run (s)</th>
            <th class="num">Change (s)</th>
          </tr>
        </thead>
        <tbody>
          @for (row of diff().exposure; track row.brand) {
            <tr [class]="trend(row)">
              <td>{{ row.brand }}</td>
              <td class="num">{{ row.against_screen_time.toFixed(1) }}</td>
              <td class="num">{{ row.screen_time.toFixed(1) }}</td>
              <td class="num">{{ signed(row.delta) }}</td>
            </tr>
          }
        </tbody>
      </table>
    }
    <h3>Detections</h3>
    <table>
      <thead>
        <tr>
          <th></th>
          <th>Media time</th>
          <th>Kind</th>
          <th>Label</th>
          <th class="num">Confidence</th>
        </tr>
      </thead>
      <tbody>
        @for (item of diff().added; track $index) {
          <tr class="added">
            <td>+</td>
            <td class="mono">{{ fmt(item.media_ts, true) }}</td>
            <td>{{ item.kind }}</td>
            <td>{{ item.label }}</td>
            <td class="num">{{ conf(item) }}</td>
          </tr>
        }
        @for (item of diff().removed; track $index) {
          <tr class="removed">
            <td>−</td>
            <td class="mono">{{ fmt(item.media_ts, true) }}</td>
            <td>{{ item.kind }}</td>
            <td>{{ item.label }}</td>
            <td class="num">{{ conf(item) }}</td>
          </tr>
        }
        @for (change of diff().changed; track $index) {
          <tr class="changed">
            <td>~</td>
            <td class="mono">{{ fmt(change.after.media_ts, true) }}</td>
            <td>{{ change.after.kind }}</td>
            <td>
              {{
                change.before.label === change.after.label
                  ? change.after.label
                  : change.before.label + ' → ' + change.after.label
              }}
            </td>
            <td class="num">{{ conf(change.before) }} → {{ conf(change.after) }}</td>
          </tr>
        }
      </tbody>
    </table>
  `,
  styles: `
    .counts {
      margin-bottom: 8px;
    }
    h3 {
      margin: 12px 0 4px;
      font-size: 1rem;
    }
    .added {
      color: var(--ok);
    }
    .removed {
      color: var(--bad);
    }
    .changed {
      color: var(--warn);
    }
  `,
})
export class RunDiffView {
  readonly diff = input.required<RunDiff>();
  protected readonly fmt = formatMediaTime;
  /** Colours a brand's row by whether the run saw it longer (added) or shorter (removed). */
  protected trend(row: ExposureDelta): string {
    return row.delta > 0.05 ? 'added' : row.delta < -0.05 ? 'removed' : '';
  }
  protected signed(seconds: number): string {
    return `${seconds > 0 ? '+' : seconds < 0 ? '−' : '±'}${Math.abs(seconds).toFixed(1)}`;
  }
  protected conf(item: DetectionItem): string {
    return `${Math.round(item.confidence * 100)}%`;
  }
}
