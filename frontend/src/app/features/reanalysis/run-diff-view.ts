import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import type { DetectionItem, RunDiff } from '../../api/contract';
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
    </div>
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
  protected conf(item: DetectionItem): string {
    return `${Math.round(item.confidence * 100)}%`;
  }
}
