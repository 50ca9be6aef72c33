import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { FINISHED_RUN_STATES, ReanalysisRun } from '../../api/contract';
import { formatMediaTime } from '../../shared/format';

/** Whether a run has reached a final state (done, failed, cancelled): nothing more to poll. */
export function isFinished(run: Pick<ReanalysisRun, 'status'>): boolean {
  return (FINISHED_RUN_STATES as readonly string[]).includes(run.status);
}

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
  if (run.eta_s !== null && run.eta_s !== undefined && !isFinished(run)) {
    parts.push(`ETA ${formatMediaTime(run.eta_s)}`);
  }
  return parts.join(' · ');
}

/** A progress bar with the run's segments, speed and time left; for a failed run, why it failed. */
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
    @if (run().error; as error) {
      <span class="run-error" data-testid="run-error">{{ error }}</span>
    }
  `,
  styles: `
    progress {
      width: 140px;
      vertical-align: middle;
    }
    .run-error {
      display: block;
      color: var(--bad);
    }
  `,
})
export class RunProgress {
  readonly run = input.required<ReanalysisRun>();
  protected readonly percent = computed(() => runPercent(this.run()));
  protected readonly detail = computed(() => describeProgress(this.run()));
}
