import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

/** One row of a paired bar chart: a full figure and its quality-weighted part. */
export interface BarRow {
  label: string;
  full: number;
  weighted: number;
}

/**
 * Horizontal paired bars (full, light; quality-weighted, dark) scaled to the largest figure:
 * plain elements, so the chart reads without a canvas and tests can see it.
 */
@Component({
  selector: 'app-report-bars',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="bars" role="img" [attr.aria-label]="caption()">
      @for (row of rows(); track row.label) {
        <div class="row">
          <span class="label" [title]="row.label">{{ row.label }}</span>
          <span class="track">
            <span class="bar full" [style.width.%]="pct(row.full)"></span>
            <span class="bar weighted" [style.width.%]="pct(row.weighted)"></span>
          </span>
          <span class="value">{{ format()(row.full) }}</span>
        </div>
      }
    </div>
  `,
  styles: `
    .bars {
      display: flex;
      flex-direction: column;
      gap: 4px;
      font-size: 0.85rem;
    }
    .row {
      display: grid;
      grid-template-columns: 140px 1fr 90px;
      align-items: center;
      gap: 8px;
    }
    .label {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .track {
      position: relative;
      height: 16px;
    }
    .bar {
      position: absolute;
      left: 0;
      border-radius: 2px;
    }
    .full {
      top: 0;
      height: 16px;
      background: #9db4d3;
    }
    .weighted {
      top: 4px;
      height: 8px;
      background: #1f4e8c;
    }
    .value {
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
  `,
})
export class ReportBars {
  readonly rows = input.required<readonly BarRow[]>();
  readonly caption = input('');
  readonly format = input<(value: number) => string>((v) => v.toFixed(1));

  private readonly max = computed(() => Math.max(0, ...this.rows().map((r) => r.full)));

  protected pct(value: number): number {
    return this.max() > 0 ? (value / this.max()) * 100 : 0;
  }
}
