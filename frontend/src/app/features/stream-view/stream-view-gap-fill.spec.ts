import type { TestRequest } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import type { DetectionItem } from '../../api/contract';
import { detectionItem } from '../../testing/detection-item';
import { liveDetection } from '../../testing/live-detection';
import { PageTestBed, setUpPage } from '../../testing/page-test-bed';
import { PlayerStub } from '../../testing/player-stub';
import { StreamViewPage } from './stream-view-page';
import { VideoPlayer } from './video-player';

/** The live stream view of s1 with one stored detection (at 2 s) loaded and the notifier connected. */
async function openLiveView(): Promise<
  PageTestBed & { fixture: ComponentFixture<StreamViewPage> }
> {
  const bed = setUpPage(StreamViewPage, { remove: VideoPlayer, add: PlayerStub });
  const fixture = TestBed.createComponent(StreamViewPage);
  fixture.componentRef.setInput('id', 's1');
  await fixture.whenStable();
  bed.backend
    .expectOne('/api/streams/s1')
    .flush({ id: 's1', name: 'Final', status: 'live', source: { kind: 'rtmp' }, policy: {} });
  bed.backend.expectOne((r) => r.url === '/api/reanalysis').flush([]);
  bed.backend.expectOne((r) => r.url === '/api/alerts').flush([]);
  bed.backend
    .expectOne((r) => r.url === '/api/streams/s1/detections')
    .flush({ items: [detectionItem({ media_ts: 2, label: 'stored' })], next_cursor: null });
  bed.sockets[0].open();
  return { ...bed, fixture };
}

/** Live detections, both as pushed frames and as results-api lists them. */
const held = [
  liveDetection('ev-logo-10', 10, 'logo@10'),
  liveDetection('ev-face-9', 9, 'face@9', { detector: 'visual', kind: 'face' }),
];
const lost = [
  liveDetection('ev-face-11', 11, 'face@11', { detector: 'visual', kind: 'face' }),
  liveDetection('ev-logo-12', 12, 'logo@12'),
  liveDetection('ev-logo-14', 14, 'logo@14'),
];
const after = [
  liveDetection('ev-logo-16', 16, 'logo@16'),
  liveDetection('ev-face-15', 15, 'face@15', { detector: 'visual', kind: 'face' }),
];
const latest = liveDetection('ev-logo-17', 17, 'logo@17');

function isGapRequest(request: { url: string; params: { has(name: string): boolean } }): boolean {
  return request.url === '/api/streams/s1/detections' && request.params.has('from');
}

function text(fixture: ComponentFixture<StreamViewPage>, selector: string): string {
  const element = fixture.nativeElement.querySelector(selector) as HTMLElement | null;
  return element?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

/** Labels in the live feed list, top to bottom. */
function feedLabels(fixture: ComponentFixture<StreamViewPage>): string[] {
  return [...fixture.nativeElement.querySelectorAll('[data-testid=live-feed] li strong')].map(
    (label) => (label as HTMLElement).textContent!,
  );
}

/** What the timeline and overlay are drawn from: the page's detection index, in media order. */
function timelineItems(fixture: ComponentFixture<StreamViewPage>): DetectionItem[] {
  return fixture.componentInstance['items']();
}

function answer(request: TestRequest, items: DetectionItem[]): void {
  request.flush({ items, next_cursor: null });
}

describe('StreamViewPage: a gap in the live feed', () => {
  it('reloads only what came after the last detection it holds, and merges it in order without duplicates', async () => {
    const { fixture, backend, sockets } = await openLiveView();
    for (const detection of held) {
      sockets[0].push(detection.frame);
    }

    sockets[0].push({ type: 'dropped', count: 3 });
    // The gap starts at the older of each detector's newest item: face@9, although logo@10 is newer.
    const first = backend.expectOne(isGapRequest);
    expect(first.request.params.get('from')).toBe('9');
    expect(first.request.params.get('run')).toBe('live');
    await fixture.whenStable();
    expect(text(fixture, '[data-testid=gap-fill]')).toContain('reloading');

    // Live frames keep coming after the notice; then the client falls behind once more.
    for (const detection of after) {
      sockets[0].push(detection.frame);
    }
    sockets[0].push({ type: 'dropped', count: 1 });
    expect(first.cancelled).toBe(true);
    const gap = backend.expectOne(isGapRequest);
    // Still from the first gap's start, not from what arrived since (logo@16, face@15).
    expect(gap.request.params.get('from')).toBe('9');
    sockets[0].push(latest.frame);

    // results-api lists everything from 9 s on that it stored: held, lost and later items.
    answer(gap, [
      held[1].item,
      held[0].item,
      ...lost.map((d) => d.item),
      ...after.map((d) => d.item),
    ]);
    // A replica resuming this client may repeat an event (the notifier asks clients to dedupe).
    sockets[0].push(after[0].frame);
    await fixture.whenStable();

    expect(text(fixture, '[data-testid=gap-fill]')).toBe('Caught up: 3 missed detections reloaded');
    const expected = [
      'face@9',
      'logo@10',
      'face@11',
      'logo@12',
      'logo@14',
      'face@15',
      'logo@16',
      'logo@17',
    ];
    expect(feedLabels(fixture)).toEqual([...expected].reverse());
    const timeline = timelineItems(fixture);
    expect(timeline.map((item) => item.label)).toEqual(['stored', ...expected]);
    expect(new Set(timeline.map((item) => `${item.event_id}:${item.item_index}`)).size).toBe(
      timeline.length,
    );
    expect(text(fixture, '[data-testid=timeline]')).toContain('logo@12');
    expect(fixture.nativeElement.querySelector('[role=alert]')).toBeNull();
    backend.verify();
  });

  it('shows a failed reload as an error with Retry, which asks again from the same place', async () => {
    const { fixture, backend, sockets } = await openLiveView();
    for (const detection of held) {
      sockets[0].push(detection.frame);
    }
    sockets[0].push({ type: 'dropped', count: 3 });
    backend
      .expectOne(isGapRequest)
      .flush({ detail: 'database unavailable' }, { status: 503, statusText: 'Unavailable' });
    for (const detection of after) {
      sockets[0].push(detection.frame);
    }
    await fixture.whenStable();

    const alert = fixture.nativeElement.querySelector('[role=alert]') as HTMLElement;
    expect(alert.textContent).toContain(
      'Missed live detections could not be reloaded: database unavailable (HTTP 503)',
    );
    expect(feedLabels(fixture)).not.toContain('logo@12');

    (alert.querySelector('button') as HTMLButtonElement).click();
    const retried = backend.expectOne(isGapRequest);
    expect(retried.request.params.get('from')).toBe('9');
    answer(
      retried,
      lost.map((d) => d.item),
    );
    await fixture.whenStable();

    expect(fixture.nativeElement.querySelector('[role=alert]')).toBeNull();
    expect(text(fixture, '[data-testid=gap-fill]')).toBe('Caught up: 3 missed detections reloaded');
    expect(feedLabels(fixture)).toEqual([
      'logo@16',
      'face@15',
      'logo@14',
      'logo@12',
      'face@11',
      'logo@10',
      'face@9',
    ]);
    backend.verify();
  });

  it('reloads the streams a resync names, and ignores one for another stream', async () => {
    const { fixture, backend, sockets } = await openLiveView();
    sockets[0].push(held[0].frame);
    sockets[0].push({ type: 'resync', streams: ['other'], reason: 'unknown event' });
    backend.expectNone(isGapRequest);
    sockets[0].push({ type: 'resync', streams: ['s1'], reason: 'unknown event' });
    const gap = backend.expectOne(isGapRequest);
    expect(gap.request.params.get('from')).toBe('10');
    answer(gap, [held[0].item, lost[1].item]);
    await fixture.whenStable();
    expect(text(fixture, '[data-testid=gap-fill]')).toBe('Caught up: 1 missed detection reloaded');
    expect(feedLabels(fixture)).toEqual(['logo@12', 'logo@10']);
    backend.verify();
  });
});
