import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { ReanalysisRun } from '../../api/contract';
import { formatMediaTime } from '../../shared/format';

/** A run's progress 0..100: the API's own figure, else segments done of total. */
export function runPercent(run: ReanalysisRun): number {
  const ratio =
    run.progress ?? (run.segments_total ? (run.segments_done ?? 0) / run.segments_total : 0);
  return Math.round(Math.min(Math.max(ratio, 0), 1) * 100);
}

/** "15/30 segments · 12.5× real time · ETA 0:00:04": how far a run is and how fast it goes. */
export function describeProgress(run: ReanalysisRun): string {
  const parts = [`${run.segments_done ?? 0}/${run.segments_total ?? 0} segments`];
  if (run.rate) {
    parts.push(`${run.rate.toFixed(1)}× real time`);
  }
  if (run.eta_s !== null && run.eta_s !== undefined && run.status !== 'done') {
    parts.push(`ETA ${formatMediaTime(run.eta_s)}`);
  }
  return parts.join(' · ');
}

/** A progress bar with the run's segments, speed and time left. */
@Component({
  selector: 'app-run-progress',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <progress
      max="100"
      [value]="percent()"
      [attr.aria-label]="'Progress of ' + run().run_id"
    ></progress>
    {{ percent() }}%
    <span class="muted" data-testid="run-progress-detail">{{ detail() }}</span>
  `,
  styles: `
    progress {
      width: 140px;
      vertical-align: middle;
    }
  `,
})
export class RunProgress {
  readonly run = input.required<ReanalysisRun>();
  protected readonly percent = computed(() => runPercent(this.run()));
  protected readonly detail = computed(() => describeProgress(this.run()));
}
