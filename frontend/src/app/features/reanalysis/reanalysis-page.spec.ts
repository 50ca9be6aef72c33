import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { detectionItem } from '../../testing/detection-item';
import { reanalysisRun } from '../../testing/reanalysis-run';
import { RUNS_PAGE_SIZE, ReanalysisPage, parseConfig } from './reanalysis-page';

describe('Reanalysis helpers', () => {
  it('accepts an empty or object config and rejects other JSON', () => {
    expect(parseConfig('  ')).toBeUndefined();
    expect(parseConfig('{"logo": {"min_confidence": 0.6}}')).toEqual({
      logo: { min_confidence: 0.6 },
    });
    expect(() => parseConfig('[1]')).toThrow('JSON object');
    expect(() => parseConfig('{oops')).toThrow();
  });
});

describe('ReanalysisPage', () => {
  let fixture: ComponentFixture<ReanalysisPage>;
  let backend: HttpTestingController;
  const text = (testId: string) =>
    (fixture.nativeElement.querySelector(`[data-testid=${testId}]`) as HTMLElement).textContent!;

  const listOf =
    (streamId: string) => (r: { url: string; params: { get(name: string): unknown } }) =>
      r.url === '/api/reanalysis' && r.params.get('stream_id') === streamId;

  /** The page, opened with `?stream=` or without. */
  function render(stream: string | undefined): void {
    // Angular's scheduler waits on timers too: render with detectChanges() while time is faked.
    vi.useFakeTimers();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ReanalysisPage);
    fixture.componentRef.setInput('stream', stream);
    fixture.detectChanges();
    backend
      .expectOne((r) => r.url === '/api/streams')
      .flush([
        { id: 's1', name: 'Final', status: 'stopped', source: { kind: 'rtmp' }, policy: {} },
        { id: 's2', name: 'Semi', status: 'stopped', source: { kind: 'rtmp' }, policy: {} },
      ]);
  }

  /** The page for stream s1, whose runs the API lists as given. */
  function open(...listed: ReturnType<typeof reanalysisRun>[]): void {
    render('s1');
    backend.expectOne(listOf('s1')).flush(listed);
    fixture.detectChanges();
  }

  afterEach(() => vi.useRealTimers());

  it('starts a run for the chosen range and detectors, follows its progress to the end, then compares it', () => {
    open();
    expect(text('runs-empty')).toContain('No runs of this stream yet');
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
    expect(
      fixture.nativeElement.querySelector('[data-testid=run-exposure]').getAttribute('href'),
    ).toBe('/exposure?stream=s1&run=r1');

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
    // Unfinished runs the API lists are followed from the start.
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

  it('pages a stream with many runs, newest first', () => {
    const finished = Array.from({ length: RUNS_PAGE_SIZE + 2 }, (_, i) =>
      reanalysisRun({ run_id: `r${i}`, status: 'done', segments_done: 8, segments_total: 8 }),
    );
    open(...finished);
    const rows = () => fixture.nativeElement.querySelectorAll('[data-testid=runs-table] tbody tr');
    expect(rows().length).toBe(RUNS_PAGE_SIZE);
    expect(text('runs-pager')).toContain(`1–${RUNS_PAGE_SIZE} of ${RUNS_PAGE_SIZE + 2}`);
    const next = fixture.nativeElement.querySelectorAll('[data-testid=runs-pager] button')[1];
    (next as HTMLButtonElement).click();
    fixture.detectChanges();
    expect(rows().length).toBe(2);
    expect(text('runs-table')).toContain(`r${RUNS_PAGE_SIZE + 1}`);
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

  it("lists the chosen stream's runs from the API, those started with the CLI too, and the next stream's when another is chosen", () => {
    render(undefined);
    fixture.detectChanges();
    expect(fixture.nativeElement.textContent).toContain('Choose a stream to see its runs');
    backend.expectNone((r) => r.url === '/api/reanalysis');

    fixture.componentInstance.selectStream('s1');
    fixture.detectChanges();
    expect(fixture.nativeElement.textContent).toContain('Loading runs');
    backend
      .expectOne(listOf('s1'))
      .flush([
        reanalysisRun({ run_id: 'from-cli', status: 'running', segments_total: 4 }),
        reanalysisRun({ run_id: 'r-old', status: 'done' }),
      ]);
    fixture.detectChanges();
    const rows = () =>
      [...fixture.nativeElement.querySelectorAll('[data-testid=runs-table] tbody tr')].map(
        (row: HTMLElement) => row.querySelector('td')!.textContent!.trim(),
      );
    expect(rows()).toEqual(['from-cli', 'r-old']);

    // The run still working is followed; once another stream is chosen it no longer is.
    vi.advanceTimersByTime(0);
    backend
      .expectOne('/api/reanalysis/from-cli')
      .flush(reanalysisRun({ run_id: 'from-cli', status: 'running', segments_total: 4 }));
    fixture.componentInstance.selectStream('s2');
    backend.expectOne(listOf('s2')).flush([reanalysisRun({ run_id: 'r9', stream_id: 's2' })]);
    fixture.detectChanges();
    expect(rows()).toEqual(['r9']);
    vi.advanceTimersByTime(0);
    backend.expectOne('/api/reanalysis/r9').flush(reanalysisRun({ run_id: 'r9', status: 'done' }));
    vi.advanceTimersByTime(10_000);
    backend.expectNone('/api/reanalysis/from-cli');

    // Refresh lists again: a run started meanwhile elsewhere appears.
    (
      fixture.nativeElement.querySelector('[data-testid=runs-refresh]') as HTMLButtonElement
    ).click();
    backend
      .expectOne(listOf('s2'))
      .flush([
        reanalysisRun({ run_id: 'r10', stream_id: 's2', status: 'done' }),
        reanalysisRun({ run_id: 'r9', stream_id: 's2', status: 'done' }),
      ]);
    fixture.detectChanges();
    expect(rows()).toEqual(['r10', 'r9']);
    backend.verify();
  });

  it('shows a run that failed with the reason, and stops polling it', () => {
    open(reanalysisRun({ run_id: 'r4', status: 'requested', segments_total: 6 }));
    fixture.componentInstance['compare'].runId = 'r4';
    vi.advanceTimersByTime(0);
    const reason = 'detector-logo refused the overrides: unknown setting "min_confidenze"';
    backend.expectOne('/api/reanalysis/r4').flush(
      reanalysisRun({
        run_id: 'r4',
        status: 'failed',
        segments_total: 6,
        eta_s: 30,
        error: reason,
      }),
    );
    vi.advanceTimersByTime(10_000);
    backend.expectNone('/api/reanalysis/r4');
    fixture.detectChanges();

    const row = fixture.nativeElement.querySelector('[data-testid=runs-table] tbody tr');
    expect(row.querySelector('.badge').textContent.trim()).toBe('failed');
    expect(row.querySelector('[data-testid=run-error]').textContent).toContain(reason);
    expect(row.textContent).not.toContain('ETA');
    expect(row.querySelector('[data-testid=run-cancel]')).toBeNull();
    expect(text('selected-run-progress')).toContain('failed');
    expect(text('selected-run-progress')).toContain(reason);
    backend.verify();
  });
});
