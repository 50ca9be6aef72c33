import { TestBed } from '@angular/core/testing';
import type { SponsorReport } from '../../api/reports-api';
import { setUpPage } from '../../testing/page-test-bed';
import { ReportPage } from './report-page';
import { timelineLanes, topExposures } from './report-view';

const brand = (name: string, seconds: number, value: number | null) => ({
  brand: name,
  exposures: 1,
  seconds,
  quality_seconds: seconds / 2,
  mean_quality: 0.5,
  share_of_voice: 0.5,
  short: 0,
  short_seconds: 0,
  value: { full: value, quality: value === null ? null : value / 2, audience: null },
});

const exposure = (name: string, start: number, end: number, quality: number) => ({
  id: `s1/${name}/${start}`,
  stream_id: 's1',
  brand: name,
  start,
  end,
  duration: end - start,
  sightings: 4,
  factors: { size: 0.5, clarity: 0.8 },
  quality,
  value: { full: 10, quality: 5, audience: null },
  best_event_id: 'e',
  best_item_index: 0,
  best_media_ts: start,
  best_box: [0.1, 0.1, 0.2, 0.2],
});

function report(valued: boolean): SponsorReport {
  return {
    version: 'exposure-report/1',
    generated_at: '2026-12-05T12:00:00Z',
    run: 'live',
    start: 0,
    end: 100,
    currency: valued ? 'EUR' : null,
    streams: [
      {
        stream_id: 's1',
        name: 'Final',
        rate_card: valued ? { currency: 'EUR', cost_per_30s: 3000 } : null,
        brands: [],
      },
    ],
    brands: [brand('acme', 20, valued ? 2000 : null), brand('globex', 5, valued ? 500 : null)],
    windows: [],
    exposures: [exposure('acme', 0, 20, 0.6), exposure('globex', 50, 55, 0.9)],
    methodology: { quality_version: 'q1', weights: {}, gap_s: 1, min_duration_s: 1, notes: [] },
    detectors: [{ name: 'logo', version: '1.0', config_hash: 'abc' }],
    logo_library: { logos: 2, brands: 2, fingerprint: 'f' },
    warnings: [],
  } as SponsorReport;
}

describe('ReportPage', () => {
  it('reports on the chosen streams, shows charts and timeline, and downloads the PDF', async () => {
    const { backend } = setUpPage(ReportPage);
    const fixture = TestBed.createComponent(ReportPage);
    await fixture.whenStable();
    backend
      .expectOne((r) => r.url === '/api/streams')
      .flush([{ id: 's1', name: 'Final', status: 'ended' }]);
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    (page.querySelector('button.primary') as HTMLButtonElement).click();
    const req = backend.expectOne((r) => r.url === '/api/reports/exposure');
    expect(req.request.params.get('streams')).toBe('s1');
    req.flush(report(true));
    await fixture.whenStable();
    const text = (id: string) => page.querySelector(`[data-testid=${id}]`)!.textContent!;
    expect(text('report-summary')).toContain('acme');
    expect(text('report-top')).toContain('globex');
    expect(page.querySelectorAll('[data-testid=report-timeline] .exposure')).toHaveLength(2);
    expect(page.querySelectorAll('app-report-bars')).toHaveLength(2);
    expect(page.querySelector('[data-testid=rate-card-form]')).toBeNull();

    URL.createObjectURL = () => 'blob:x';
    URL.revokeObjectURL = () => undefined;
    // each top exposure fetches its evidence frame with the token
    const frames = backend.match((r) => r.url.startsWith('/api/reports/evidence/'));
    expect(frames.map((f) => f.request.url)).toEqual([
      '/api/reports/evidence/e/0',
      '/api/reports/evidence/e/0',
    ]);
    frames.forEach((f) => f.flush(new Blob(['jpeg'])));
    await fixture.whenStable();
    expect(page.querySelectorAll('[data-testid=evidence]')).toHaveLength(2);
    (page.querySelector('[data-testid=report-pdf]') as HTMLButtonElement).click();
    const pdf = backend.expectOne((r) => r.params.get('format') === 'pdf');
    expect(pdf.request.responseType).toBe('blob');
    pdf.flush(new Blob(['%PDF']));
  });

  it('offers a rate card for a stream without one and reloads with value', async () => {
    const { backend } = setUpPage(ReportPage);
    const fixture = TestBed.createComponent(ReportPage);
    await fixture.whenStable();
    backend
      .expectOne((r) => r.url === '/api/streams')
      .flush([{ id: 's1', name: 'Final', status: 'ended' }]);
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    (page.querySelector('button.primary') as HTMLButtonElement).click();
    backend.expectOne((r) => r.url === '/api/reports/exposure').flush(report(false));
    await fixture.whenStable();
    expect(page.querySelectorAll('app-report-bars')).toHaveLength(1); // no value chart
    const form = page.querySelector('[data-testid=rate-card-form]') as HTMLFormElement;
    form.dispatchEvent(new Event('submit'));
    const put = backend.expectOne('/api/streams/s1/rate-card');
    expect(put.request.body).toEqual({ currency: 'EUR', cost_per_30s: 1000 });
    put.flush(put.request.body);
    backend.match((r) => r.url.startsWith('/api/reports/evidence/'));
    backend.expectOne((r) => r.url === '/api/reports/exposure').flush(report(true));
  });
});

describe('ReportPage run comparison', () => {
  it('asks for a reanalysis run beside live and shows the change per brand', async () => {
    const { backend } = setUpPage(ReportPage);
    const fixture = TestBed.createComponent(ReportPage);
    await fixture.whenStable();
    backend
      .expectOne((r) => r.url === '/api/streams')
      .flush([{ id: 's1', name: 'Final', status: 'ended' }]);
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    const type = (id: string, value: string) => {
      const input = page.querySelector(`[data-testid=${id}]`) as HTMLInputElement;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    };
    type('report-run', 'r7');
    type('report-compare', 'live');
    await fixture.whenStable();
    (page.querySelector('button.primary') as HTMLButtonElement).click();
    const req = backend.expectOne((r) => r.url === '/api/reports/exposure');
    expect(req.request.params.get('run')).toBe('r7');
    expect(req.request.params.get('compare')).toBe('live');
    const money = { full: null, quality: null, audience: null };
    req.flush({
      ...report(false),
      run: 'r7',
      warnings: ['run live has no logo detections on these streams and range'],
      comparison: {
        baseline_run: 'live',
        baseline_detectors: [],
        brands: [
          {
            brand: 'acme',
            exposures: 2,
            baseline_exposures: 1,
            seconds: 20,
            baseline_seconds: 12.5,
            delta_seconds: 7.5,
            quality_seconds: 10,
            baseline_quality_seconds: 6,
            value: money,
            baseline_value: money,
            only_here: 1,
            only_baseline: 0,
          },
        ],
      },
    });
    backend.match((r) => r.url.startsWith('/api/reports/evidence/'));
    await fixture.whenStable();
    const table = page.querySelector('[data-testid=report-comparison]')!;
    expect(table.textContent).toContain('Run r7 compared with run live');
    expect(table.querySelector('td.gain')!.textContent!.trim()).toBe('+7.5');
    expect(page.querySelector('[data-testid=report-warnings]')!.textContent).toContain(
      'run live has no logo detections',
    );
  });
});

describe('report view', () => {
  it('lays exposures on one lane per brand in percent of the range', () => {
    const t = timelineLanes(report(true));
    expect(t.lanes.map((l) => l.brand)).toEqual(['acme', 'globex']);
    expect(t.lanes[1].bars[0].left).toBe(50);
    expect(t.lanes[1].bars[0].width).toBeCloseTo(5);
    expect(t.lanes[1].bars[0].quality).toBe(0.9);
  });

  it('ranks exposures by quality-weighted seconds', () => {
    const ranked = topExposures(report(true).exposures, 1);
    expect(ranked.map((e) => e.brand)).toEqual(['acme']); // 20 s x 0.6 beats 5 s x 0.9
  });
});
