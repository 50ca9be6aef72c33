import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { detectionItem } from '../../testing/detection-item';
import { ReanalysisPage, isFinished, parseConfig } from './reanalysis-page';

describe('Reanalysis helpers', () => {
  it('accepts an empty or object config and rejects other JSON', () => {
    expect(parseConfig('  ')).toBeUndefined();
    expect(parseConfig('{"logo": {"min_confidence": 0.6}}')).toEqual({
      logo: { min_confidence: 0.6 },
    });
    expect(() => parseConfig('[1]')).toThrow('JSON object');
    expect(() => parseConfig('{oops')).toThrow();
  });

  it('stops polling only at done or failed', () => {
    expect(isFinished({ run_id: 'r', stream_id: 's', status: 'running' })).toBe(false);
    expect(isFinished({ run_id: 'r', stream_id: 's', status: 'failed' })).toBe(true);
  });
});

describe('ReanalysisPage', () => {
  afterEach(() => vi.useRealTimers());

  it('starts a run for the chosen range and detectors, follows it to the end, then compares it', () => {
    // Angular's scheduler waits on timers too: render with detectChanges() while time is faked.
    vi.useFakeTimers();
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    const backend = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(ReanalysisPage);
    fixture.componentRef.setInput('stream', 's1');
    fixture.detectChanges();
    backend
      .expectOne('/api/streams')
      .flush([
        { id: 's1', name: 'Final', status: 'stopped', source: { kind: 'rtmp' }, policy: {} },
      ]);

    fixture.componentInstance.start();
    const start = backend.expectOne({ method: 'POST', url: '/api/reanalysis' });
    expect(start.request.body).toEqual({
      stream_id: 's1',
      from: 0,
      to: 60,
      detectors: ['logo', 'visual'],
    });
    start.flush(
      { run_id: 'r1', stream_id: 's1', status: 'requested' },
      { status: 202, statusText: 'Accepted' },
    );

    vi.advanceTimersByTime(0);
    backend.expectOne('/api/reanalysis/r1').flush({
      run_id: 'r1',
      stream_id: 's1',
      status: 'running',
      segments_done: 15,
      segments_total: 30,
    });
    fixture.detectChanges();
    expect(fixture.nativeElement.querySelector('[data-testid=runs-table]').textContent).toContain(
      '50%',
    );

    vi.advanceTimersByTime(2000);
    backend.expectOne('/api/reanalysis/r1').flush({
      run_id: 'r1',
      stream_id: 's1',
      status: 'done',
      segments_done: 30,
      segments_total: 30,
    });
    vi.advanceTimersByTime(10_000);
    backend.expectNone('/api/reanalysis/r1');

    fixture.componentInstance.showDiff();
    backend
      .expectOne((r) => r.url === '/api/reanalysis/r1/diff' && r.params.get('against') === 'live')
      .flush({
        run_id: 'r1',
        against: 'live',
        added: [detectionItem({ media_ts: 3, label: 'newbrand' })],
        removed: [],
        changed: [],
      });
    fixture.detectChanges();
    expect(fixture.nativeElement.querySelector('[data-testid=diff-counts]').textContent).toContain(
      '+1 added',
    );
    backend.verify();
  });
});
