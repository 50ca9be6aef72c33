import { Component, input } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import type { ExposureReport } from '../../api/contract';
import { setUpPage } from '../../testing/page-test-bed';
import { ExposureCharts } from './exposure-charts';
import { ExposurePage } from './exposure-page';

/** The real charts need a canvas, which jsdom lacks; the page's wiring is under test. */
@Component({ selector: 'app-exposure-charts', template: '' })
class ChartsStub {
  readonly report = input<ExposureReport>();
}

describe('ExposurePage', () => {
  it('shows the exposure of the run chosen with ?run=, refreshed by that run’s events only, and goes back to live', async () => {
    const { backend, sockets } = setUpPage(ExposurePage, {
      remove: ExposureCharts,
      add: ChartsStub,
    });
    const fixture = TestBed.createComponent(ExposurePage);
    fixture.componentRef.setInput('stream', 's1');
    fixture.componentRef.setInput('run', 'r1');
    await fixture.whenStable();
    backend.expectOne('/api/streams').flush([]);
    const exposure = () => backend.expectOne((r) => r.url === '/api/streams/s1/exposure');
    const report = (brand: string) => ({
      start: 0,
      end: 60,
      window: 10,
      totals: [{ brand, screen_time: 12, share_of_voice: 1, prominence: 0.2 }],
      windows: [],
    });

    const first = exposure();
    expect(first.request.params.get('run')).toBe('r1');
    first.flush(report('rerun-brand'));
    await fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/?stream=s1&run=r1');
    const text = (testId: string) =>
      (fixture.nativeElement.querySelector(`[data-testid=${testId}]`) as HTMLElement).textContent!;
    expect(text('exposure-run')).toContain('r1');
    expect(text('exposure-table')).toContain('rerun-brand');

    // Events of the live analysis leave a run's report alone; the run's own refresh it.
    sockets[0].open();
    const event = (run_id: string) => ({
      type: 'exposure',
      event_id: `ev-${run_id}`,
      stream_id: 's1',
      payload: { stream_id: 's1', run_id, window_start: 0, window_end: 10, brands: [] },
    });
    sockets[0].push(event('live'));
    backend.expectNone((r) => r.url === '/api/streams/s1/exposure');
    sockets[0].push(event('r1'));
    const refreshed = exposure();
    expect(refreshed.request.params.get('run')).toBe('r1');
    refreshed.flush(report('rerun-brand'));

    (
      fixture.nativeElement.querySelector('[data-testid=exposure-show-live]') as HTMLElement
    ).click();
    const live = exposure();
    expect(live.request.params.has('run')).toBe(false);
    live.flush(report('live-brand'));
    await fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/?stream=s1');
    expect(fixture.nativeElement.querySelector('[data-testid=exposure-run]')).toBeNull();
    expect(text('exposure-table')).toContain('live-brand');
    backend.verify();
  });

  it('reloads the report when the notifier dropped or could not replay events of its stream', async () => {
    const { backend, sockets } = setUpPage(ExposurePage, {
      remove: ExposureCharts,
      add: ChartsStub,
    });
    const fixture = TestBed.createComponent(ExposurePage);
    fixture.componentRef.setInput('stream', 's1');
    await fixture.whenStable();
    backend.expectOne('/api/streams').flush([]);
    const exposure = () => backend.expectOne((r) => r.url === '/api/streams/s1/exposure');
    const report = (screenTime: number) => ({
      start: 0,
      end: 60,
      window: 10,
      totals: [{ brand: 'acme', screen_time: screenTime, share_of_voice: 1, prominence: 0.2 }],
      windows: [],
    });
    exposure().flush(report(12));
    sockets[0].open();

    sockets[0].push({ type: 'resync', streams: ['other'], reason: 'unknown event' });
    backend.expectNone((r) => r.url === '/api/streams/s1/exposure');
    sockets[0].push({ type: 'dropped', count: 40 });
    exposure().flush(report(31));
    await fixture.whenStable();
    expect(
      (fixture.nativeElement.querySelector('[data-testid=exposure-table]') as HTMLElement)
        .textContent,
    ).toContain('31.0 s');
    backend.verify();
  });
});
