import { TestBed } from '@angular/core/testing';
import { By } from '@angular/platform-browser';
import { Router } from '@angular/router';
import { detectionMessage } from '../../testing/detection-message';
import { detectionItem } from '../../testing/detection-item';
import { PlayerStub } from '../../testing/player-stub';
import { reanalysisRun } from '../../testing/reanalysis-run';
import { setUpPage } from '../../testing/page-test-bed';
import { StreamViewPage } from './stream-view-page';
import { VideoPlayer } from './video-player';

describe('StreamViewPage', () => {
  it('merges stored and live detections into the feed, timeline and overlay, with kind toggles', async () => {
    const { backend, sockets } = setUpPage(StreamViewPage, {
      remove: VideoPlayer,
      add: PlayerStub,
    });
    const fixture = TestBed.createComponent(StreamViewPage);
    fixture.componentRef.setInput('id', 's1');
    await fixture.whenStable();

    backend
      .expectOne('/api/streams/s1')
      .flush({ id: 's1', name: 'Final', status: 'live', source: { kind: 'rtmp' }, policy: {} });
    backend
      .expectOne((r) => r.url === '/api/reanalysis' && r.params.get('stream_id') === 's1')
      .flush([]);
    backend.expectOne((r) => r.url === '/api/alerts').flush([]);
    const page = backend.expectOne((r) => r.url === '/api/streams/s1/detections');
    expect(page.request.params.get('run')).toBe('live');
    page.flush({
      items: [detectionItem({ media_ts: 2, label: 'stored-brand' })],
      next_cursor: null,
    });

    sockets[0].open();
    expect(sockets[0].sent).toContainEqual({ op: 'subscribe', streams: ['s1'] });
    sockets[0].push({
      type: 'detection',
      event_id: 'ev1',
      stream_id: 's1',
      payload: detectionMessage({ stream_id: 's1' }),
    });
    sockets[0].push({
      type: 'detection',
      event_id: 'ev2',
      stream_id: 'other',
      payload: detectionMessage({ stream_id: 'other' }),
    });
    await fixture.whenStable();

    const text = (testId: string) =>
      (fixture.nativeElement.querySelector(`[data-testid=${testId}]`) as HTMLElement).textContent!;
    expect(text('live-feed')).toContain('acme');
    expect(text('live-feed')).not.toContain('stored-brand');
    expect(text('timeline')).toContain('stored-brand');
    expect(text('timeline')).toContain('acme');
    expect(text('timeline')).toContain('scene change');

    const player = fixture.debugElement.query(By.directive(PlayerStub))
      .componentInstance as PlayerStub;
    expect(
      player
        .boxesAt()(6.6)
        .map((i) => i.label),
    ).toEqual(['acme']);
    // Hovering a logo in the feed shows its evidence frame, one item at a time.
    const feed = fixture.nativeElement.querySelector('[data-testid=live-feed]') as HTMLElement;
    const cut = feed.querySelector('[aria-label^="Seek to cut"]') as HTMLElement;
    cut.dispatchEvent(new Event('mouseenter'));
    await fixture.whenStable();
    expect(feed.querySelector('[data-testid=feed-preview]')).toBeNull(); // not a logo
    const item = feed.querySelector('[aria-label^="Seek to acme"]') as HTMLElement;
    item.dispatchEvent(new Event('mouseenter'));
    await fixture.whenStable();
    backend.expectOne('/api/reports/evidence/ev1/0').flush(new Blob(['png']));
    expect(fixture.nativeElement.querySelectorAll('[data-testid=feed-preview]').length).toBe(1);
    item.dispatchEvent(new Event('mouseleave'));
    await fixture.whenStable();
    expect(fixture.nativeElement.querySelector('[data-testid=feed-preview]')).toBeNull();

    (fixture.nativeElement.querySelector('[data-testid=kind-logo]') as HTMLInputElement).click();
    await fixture.whenStable();
    expect(player.boxesAt()(6.6)).toEqual([]);
    expect(text('timeline')).not.toContain('acme');
    backend.verify();
  });

  it("offers the stream's runs from the API and shows one chosen with ?run=: its stored detections only, no live events, and switches back to live", async () => {
    const { backend, sockets } = setUpPage(StreamViewPage, {
      remove: VideoPlayer,
      add: PlayerStub,
    });
    const fixture = TestBed.createComponent(StreamViewPage);
    fixture.componentRef.setInput('id', 's1');
    fixture.componentRef.setInput('run', 'r1');
    await fixture.whenStable();
    const text = (testId: string) =>
      (fixture.nativeElement.querySelector(`[data-testid=${testId}]`) as HTMLElement).textContent!;

    backend
      .expectOne('/api/streams/s1')
      .flush({ id: 's1', name: 'Final', status: 'live', source: { kind: 'rtmp' }, policy: {} });
    // Every run of the stream, newest first: started from a dashboard or from the CLI.
    backend
      .expectOne((r) => r.url === '/api/reanalysis' && r.params.get('stream_id') === 's1')
      .flush([
        reanalysisRun({ run_id: 'r2-cli', status: 'failed', error: 'bad override' }),
        reanalysisRun({ run_id: 'r1', status: 'done', from: 0, to: 120 }),
      ]);
    backend.expectOne((r) => r.url === '/api/alerts').flush([]);
    const first = backend.expectOne((r) => r.url === '/api/streams/s1/detections');
    expect(first.request.params.get('run')).toBe('r1');
    first.flush({
      items: [detectionItem({ media_ts: 2, label: 'found-by-rerun', run_id: 'r1' })],
      next_cursor: 'c2',
    });
    const second = backend.expectOne((r) => r.url === '/api/streams/s1/detections');
    expect(second.request.params.get('run')).toBe('r1');
    expect(second.request.params.get('cursor')).toBe('c2');
    second.flush({
      items: [detectionItem({ media_ts: 9, label: 'late-brand', run_id: 'r1' })],
      next_cursor: null,
    });

    sockets[0].open();
    sockets[0].push({
      type: 'detection',
      event_id: 'ev1',
      stream_id: 's1',
      payload: detectionMessage({ stream_id: 's1' }),
    });
    await fixture.whenStable();

    const select = fixture.nativeElement.querySelector(
      '[data-testid=run-select]',
    ) as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['live', 'r2-cli', 'r1']);
    expect(select.options[2].textContent).toContain('r1 · 0:00:00–0:02:00 · done');
    expect(select.value).toBe('r1');
    expect(text('run-count')).toContain('2 detections');
    expect(text('live-feed')).toContain('found-by-rerun');
    expect(text('live-feed')).toContain('late-brand');
    expect(text('live-feed')).not.toContain('acme');
    expect(text('timeline')).toContain('found-by-rerun');
    expect(text('timeline')).not.toContain('acme');
    const player = fixture.debugElement.query(By.directive(PlayerStub))
      .componentInstance as PlayerStub;
    expect(
      player
        .boxesAt()(2.1)
        .map((i) => i.label),
    ).toEqual(['found-by-rerun']);

    // The choice goes to the URL; the router binds it back to the `run` input.
    select.value = 'live';
    select.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/');
    fixture.componentRef.setInput('run', undefined);
    await fixture.whenStable();
    const live = backend.expectOne((r) => r.url === '/api/streams/s1/detections');
    expect(live.request.params.get('run')).toBe('live');
    live.flush({ items: [detectionItem({ media_ts: 4, label: 'live-brand' })], next_cursor: null });
    await fixture.whenStable();
    expect(text('timeline')).toContain('live-brand');
    expect(text('timeline')).not.toContain('found-by-rerun');
    expect(fixture.nativeElement.querySelector('[data-testid=run-count]')).toBeNull();

    select.value = 'r1';
    select.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/?run=r1');
    backend.verify();
  });

  it('places the stream alerts on the timeline and adds pushed ones', async () => {
    const { backend, sockets } = setUpPage(StreamViewPage, {
      remove: VideoPlayer,
      add: PlayerStub,
    });
    const fixture = TestBed.createComponent(StreamViewPage);
    fixture.componentRef.setInput('id', 's1');
    await fixture.whenStable();
    backend
      .expectOne('/api/streams/s1')
      .flush({ id: 's1', name: 'Final', status: 'live', source: { kind: 'rtmp' }, policy: {} });
    backend.expectOne((r) => r.url === '/api/reanalysis').flush([]);
    const alerts = backend.expectOne((r) => r.url === '/api/alerts');
    expect(alerts.request.params.get('stream_id')).toBe('s1');
    alerts.flush([
      {
        alert_id: 'a1',
        rule_id: 'r1',
        rule_name: 'acme 10 s',
        kind: 'appearance',
        stream_id: 's1',
        brand: 'acme',
        status: 'resolved',
        fired_at: '2026-12-05T12:00:10Z',
        resolved_at: '2026-12-05T12:00:14Z',
        fired_evidence: { media_ts: 10 },
        resolved_evidence: { media_ts: 14 },
        acknowledged_at: null,
        acknowledged_by: null,
        deliveries: [],
      },
      {
        alert_id: 'a2',
        rule_id: 'r2',
        rule_name: 'silence',
        kind: 'stream_health',
        stream_id: 's1',
        brand: null,
        status: 'fired',
        fired_at: '2026-12-05T12:01:00Z',
        resolved_at: null,
        fired_evidence: { last_segment_at: '2026-12-05T12:00:40Z' }, // no stream time
        resolved_evidence: null,
        acknowledged_at: null,
        acknowledged_by: null,
        deliveries: [],
      },
    ]);
    backend
      .expectOne((r) => r.url === '/api/streams/s1/detections')
      .flush({ items: [detectionItem({ media_ts: 30 })], next_cursor: null });
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    const markers = () =>
      [...page.querySelectorAll('[data-testid=alert-marker]')].map((m) =>
        m.getAttribute('aria-label'),
      );
    expect(markers()).toEqual([
      'acme 10 s · acme fired at 0:00:10',
      'acme 10 s · acme resolved at 0:00:14',
    ]);

    sockets[0].open();
    sockets[0].push({
      type: 'alert',
      event_id: 'ev-a3',
      stream_id: 's1',
      payload: {
        alert_id: 'a3',
        rule_id: 'r3',
        rule_name: 'rival',
        kind: 'competitor',
        stream_id: 's1',
        brand: 'zenith',
        status: 'fired',
        at: '2026-12-05T12:02:00Z',
        evidence: { media_ts: 22.5 },
      },
    });
    await fixture.whenStable();
    expect(markers()).toContain('rival · zenith fired at 0:00:22');
  });
});
