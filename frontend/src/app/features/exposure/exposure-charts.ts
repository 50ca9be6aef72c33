import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  effect,
  inject,
  input,
  viewChild,
} from '@angular/core';
import type { Chart } from 'chart.js';
import type { ExposureReport } from '../../api/contract';

const PALETTE = [
  '#3fa7ff',
  '#f2b84b',
  '#3ecf8e',
  '#ff6b6b',
  '#c38bff',
  '#ff8f5a',
  '#5ad1d1',
  '#d1d15a',
];

/** chart.js (~200 kB) is imported when the first chart is drawn, not in the initial bundle. */
let chartModule: Promise<typeof import('chart.js/auto')> | null = null;
function loadChartJs(): Promise<typeof import('chart.js/auto')> {
  chartModule ??= import('chart.js/auto');
  return chartModule;
}

/** Screen time per brand over the range, and per time window (stacked, so a window's total shows). */
@Component({
  selector: 'app-exposure-charts',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="charts">
      <figure>
        <figcaption>Screen time per brand (s)</figcaption>
        <div class="box">
          <canvas #totals role="img" aria-label="Screen time per brand"></canvas>
        </div>
      </figure>
      <figure>
        <figcaption>Screen time per window (s)</figcaption>
        <div class="box">
          <canvas #overTime role="img" aria-label="Screen time per brand over time"></canvas>
        </div>
      </figure>
    </div>
  `,
  styles: `
    .charts {
      display: grid;
      grid-template-columns: minmax(0, 1fr) minmax(0, 2fr);
      gap: 16px;
    }
    @media (max-width: 1000px) {
      .charts {
        grid-template-columns: 1fr;
      }
    }
    figure {
      margin: 0;
    }
    figcaption {
      color: var(--muted);
      font-size: 0.85rem;
      margin-bottom: 6px;
    }
    .box {
      position: relative;
      height: 260px;
    }
  `,
})
export class ExposureCharts {
  readonly report = input.required<ExposureReport>();
  private readonly totalsCanvas = viewChild.required<ElementRef<HTMLCanvasElement>>('totals');
  private readonly overTimeCanvas = viewChild.required<ElementRef<HTMLCanvasElement>>('overTime');
  private charts: Chart[] = [];

  constructor() {
    effect(() => void this.draw(this.report()));
    inject(DestroyRef).onDestroy(() => this.charts.forEach((chart) => chart.destroy()));
  }

  private async draw(report: ExposureReport): Promise<void> {
    const { default: ChartJs } = await loadChartJs();
    this.charts.forEach((chart) => chart.destroy());
    ChartJs.defaults.color = '#8d9aa8';
    ChartJs.defaults.borderColor = '#2b3641';
    const brands = report.totals.map((b) => b.brand);
    const colour = (i: number) => PALETTE[i % PALETTE.length];
    const animation = false as const;
    this.charts = [
      new ChartJs(this.totalsCanvas().nativeElement, {
        type: 'bar',
        data: {
          labels: brands,
          datasets: [
            {
              label: 'screen time (s)',
              data: report.totals.map((b) => b.screen_time),
              backgroundColor: brands.map((_, i) => colour(i)),
              maxBarThickness: 36,
            },
          ],
        },
        options: {
          animation,
          maintainAspectRatio: false,
          indexAxis: 'y',
          plugins: { legend: { display: false } },
        },
      }),
      new ChartJs(this.overTimeCanvas().nativeElement, {
        type: 'bar',
        data: {
          labels: report.windows.map((w) => `${Math.round(w.start)}–${Math.round(w.end)} s`),
          datasets: brands.map((brand, i) => ({
            label: brand,
            data: report.windows.map(
              (w) => w.brands.find((b) => b.brand === brand)?.screen_time ?? 0,
            ),
            backgroundColor: colour(i),
            maxBarThickness: 48,
          })),
        },
        options: {
          animation,
          maintainAspectRatio: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
        },
      }),
    ];
  }
}
