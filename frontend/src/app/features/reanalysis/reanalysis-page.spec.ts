import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { detectionItem } from '../../testing/detection-item';
import { reanalysisRun } from '../../testing/reanalysis-run';
import { ReanalysisPage, isFinished, parseConfig } from './reanalysis-page';
import { RunHistory } from './run-history';

describe('Reanalysis helpers', () => {
  it('accepts an empty or object config and rejects other JSON', () => {
    expect(parseConfig('  ')).toBeUndefined();
    expect(parseConfig('{"logo": {"min_confidence": 0.6}}')).toEqual({
      logo: { min_confidence: 0.6 },
    });
    expect(() => parseConfig('[1]')).toThrow('JSON object');
    expect(() => parseConfig('{oops')).toThrow();
  });

  it('stops polling only at a final state', () => {
    expect(isFinished({ status: 'running' })).toBe(false);
    expect(isFinished({ status: 'failed' })).toBe(true);
    expect(isFinished({ status: 'cancelled' })).toBe(true);
  });
});

describe('ReanalysisPage', () => {
  let fixture: ComponentFixture<ReanalysisPage>;
  let backend: HttpTestingController;
  const text = (testId: string) =>
    (fixture.nativeElement.querySelector(`[data-testid=${testId}]`) as HTMLElement).textContent!;

  /** The page for stream s1, with the given runs already in this browser's history. */
  function open(...known: ReturnType<typeof reanalysisRun>[]): void {
    // Angular's scheduler waits on timers too: render with detectChanges() while time is faked.
    vi.useFakeTimers();
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    known.reverse().forEach((run) => TestBed.inject(RunHistory).remember(run));
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ReanalysisPage);
    fixture.componentRef.setInput('stream', 's1');
    fixture.detectChanges();
    backend
      .expectOne('/api/streams')
      .flush([
        { id: 's1', name: 'Final', status: 'stopped', source: { kind: 'rtmp' }, policy: {} },
      ]);
  }

  afterEach(() => vi.useRealTimers());

  it('starts a run for the chosen range and detectors, follows its progress to the end, then compares it', () => {
    open();
    fixture.componentInstance.start();
    const start = backend.expectOne({ method: 'POST', url: '/api/reanalysis' });
    expect(start.request.body).toEqual({
      stream_id: 's1',
      from: 0,
      to: 60,
      detectors: ['logo', 'visual'],
    });
    start.flush(reanalysisRun({ run_id: 'r1' }), { status: 202, statusText: 'Accepted' });

    vi.advanceTimersByTime(0);
    backend.expectOne('/api/reanalysis/r1').flush(
      reanalysisRun({
        run_id: 'r1',
        status: 'running',
        progress: 0.5,
        segments_done: 15,
        segments_total: 30,
        rate: 12.5,
        eta_s: 2.4,
      }),
    );
    fixture.detectChanges();
    const table = text('runs-table');
    expect(table).toContain('50%');
    expect(table).toContain('15/30 segments');
    expect(table).toContain('12.5× real time');
    expect(table).toContain('ETA 0:00:02');

    vi.advanceTimersByTime(2000);
    backend.expectOne('/api/reanalysis/r1').flush(
      reanalysisRun({
        run_id: 'r1',
        status: 'done',
        progress: 1,
        segments_done: 30,
        segments_total: 30,
        rate: 13,
        eta_s: 0,
      }),
    );
    vi.advanceTimersByTime(10_000);
    backend.expectNone('/api/reanalysis/r1');
    fixture.detectChanges();
    expect(text('runs-table')).toContain('30/30 segments');
    expect(text('runs-table')).not.toContain('ETA');
    expect(fixture.nativeElement.querySelector('[data-testid=run-view]').getAttribute('href')).toBe(
      '/streams/s1?run=r1',
    );

    fixture.componentInstance.showDiff();
    backend
      .expectOne((r) => r.url === '/api/reanalysis/r1/diff' && r.params.get('against') === 'live')
      .flush({
        run_id: 'r1',
        against: 'live',
        added: [detectionItem({ media_ts: 3, label: 'newbrand' })],
        removed: [],
        changed: [],
        exposure: [
          { brand: 'acme', screen_time: 10, against_screen_time: 12.5, delta: -2.5 },
          { brand: 'newbrand', screen_time: 4, against_screen_time: 0, delta: 4 },
        ],
        truncated: false,
      });
    fixture.detectChanges();
    expect(text('diff-counts')).toContain('+1 added');
    const rows = [
      ...fixture.nativeElement.querySelectorAll('[data-testid=exposure-delta] tbody tr'),
    ].map((row: HTMLElement) =>
      [...row.querySelectorAll('td')].map((cell) => cell.textContent!.trim()),
    );
    expect(rows).toEqual([
      ['acme', '12.5', '10.0', '−2.5'],
      ['newbrand', '0.0', '4.0', '+4.0'],
    ]);
    expect(text('exposure-delta')).toContain('Live (s)');
    expect(text('selected-run-progress')).toContain('done');
    backend.verify();
  });

  it('shows the progress of a run still working while compared, and compares again when it ends', () => {
    open(reanalysisRun({ run_id: 'r2', status: 'running', segments_done: 2, segments_total: 8 }));
    // Unfinished runs in the history are followed from the start.
    vi.advanceTimersByTime(0);
    backend
      .expectOne('/api/reanalysis/r2')
      .flush(
        reanalysisRun({ run_id: 'r2', status: 'running', segments_done: 4, segments_total: 8 }),
      );

    fixture.componentInstance['compare'].runId = 'r2';
    fixture.componentInstance.showDiff();
    const diff = {
      run_id: 'r2',
      against: 'live',
      added: [],
      removed: [],
      changed: [],
      exposure: [],
      truncated: false,
    };
    backend.expectOne((r) => r.url === '/api/reanalysis/r2/diff').flush(diff);
    fixture.detectChanges();
    expect(text('selected-run-progress')).toContain('4/8 segments');
    expect(text('selected-run-progress')).toContain('still running');
    expect(text('exposure-delta-empty')).toContain('No logos');

    vi.advanceTimersByTime(2000);
    backend
      .expectOne('/api/reanalysis/r2')
      .flush(reanalysisRun({ run_id: 'r2', status: 'done', segments_done: 8, segments_total: 8 }));
    backend
      .expectOne((r) => r.url === '/api/reanalysis/r2/diff')
      .flush({
        ...diff,
        exposure: [{ brand: 'acme', screen_time: 3, against_screen_time: 3, delta: 0 }],
      });
    fixture.detectChanges();
    expect(text('selected-run-progress')).toContain('8/8 segments');
    expect(text('selected-run-progress')).not.toContain('still running');
    expect(text('exposure-delta')).toContain('±0.0');
    backend.verify();
  });

  it('cancels a run from the table', () => {
    open(reanalysisRun({ run_id: 'r3', status: 'running', segments_total: 8 }));
    vi.advanceTimersByTime(0);
    backend
      .expectOne('/api/reanalysis/r3')
      .flush(reanalysisRun({ run_id: 'r3', status: 'running', segments_total: 8 }));
    fixture.detectChanges();

    (fixture.nativeElement.querySelector('[data-testid=run-cancel]') as HTMLButtonElement).click();
    backend
      .expectOne({ method: 'POST', url: '/api/reanalysis/r3/cancel' })
      .flush(reanalysisRun({ run_id: 'r3', status: 'cancelled', segments_total: 8 }));
    fixture.detectChanges();
    expect(text('runs-table')).toContain('cancelled');
    expect(fixture.nativeElement.querySelector('[data-testid=run-cancel]')).toBeNull();
    backend.verify();
  });
});
