import type { ReportExposure, SponsorReport } from '../../api/reports-api';

/** An exposure placed on the report's timeline, in percent of the range. */
export interface TimelineBar {
  left: number;
  width: number;
  quality: number;
  title: string;
}

export interface ReportTimeline {
  start: number;
  end: number;
  lanes: { brand: string; bars: TimelineBar[] }[];
}

/** One lane per brand (in the report's order: most screen time first) with its exposures. */
export function timelineLanes(report: SponsorReport): ReportTimeline {
  const start = report.start;
  const last = Math.max(start, ...report.exposures.map((e) => e.end));
  const end = Math.max(report.end ?? last, start + 1);
  const scale = (t: number) => ((t - start) / (end - start)) * 100;
  const byBrand = new Map(report.brands.map((b) => [b.brand, [] as TimelineBar[]]));
  for (const e of report.exposures) {
    byBrand.get(e.brand)?.push({
      left: scale(e.start),
      width: Math.max(0.5, scale(e.end) - scale(e.start)),
      quality: e.quality,
      title: `${e.brand} ${e.start.toFixed(1)}–${e.end.toFixed(1)} s, quality ${e.quality.toFixed(2)}`,
    });
  }
  return {
    start,
    end,
    lanes: [...byBrand].filter(([, bars]) => bars.length).map(([brand, bars]) => ({ brand, bars })),
  };
}

/** The exposures worth most: longest quality-weighted time first. */
export function topExposures(
  exposures: readonly ReportExposure[],
  count: number,
): ReportExposure[] {
  return [...exposures]
    .sort((a, b) => b.duration * b.quality - a.duration * a.quality)
    .slice(0, count);
}
