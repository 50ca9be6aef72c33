import { TestBed } from '@angular/core/testing';
import { liveDetection } from '../../testing/live-detection';
import { setUpPage } from '../../testing/page-test-bed';
import { StreamsPage } from './streams-page';

describe('StreamsPage: a gap in the live feed', () => {
  it("reloads each stream's detections since the newest it holds, so its latest labels are right", async () => {
    const { backend, sockets } = setUpPage(StreamsPage);
    const fixture = TestBed.createComponent(StreamsPage);
    await fixture.whenStable();
    const stream = (id: string) => ({
      id,
      name: id,
      status: 'live',
      source: { kind: 'rtmp' },
      policy: { detectors: ['logo', 'visual'], sample_fps: 2 },
    });
    backend.expectOne((r) => r.url === '/api/streams').flush([stream('s1'), stream('s2')]);
    sockets[0].open();
    const logo10 = liveDetection('ev-logo-10', 10, 'acme');
    const face8 = liveDetection('ev-face-8', 8, 'presenter', { detector: 'visual', kind: 'face' });
    sockets[0].push(logo10.frame);
    sockets[0].push(face8.frame);

    sockets[0].push({ type: 'dropped', count: 2 });
    // s2 showed nothing yet, so no chip of it can be stale.
    const gap = backend.expectOne((r) => r.url.endsWith('/detections'));
    expect(gap.request.url).toBe('/api/streams/s1/detections');
    expect(gap.request.params.get('from')).toBe('8');
    expect(gap.request.params.get('run')).toBe('live');
    gap.flush({
      items: [
        face8.item,
        logo10.item,
        liveDetection('ev-face-11', 11, 'presenter', { detector: 'visual', kind: 'face' }).item,
        liveDetection('ev-logo-12', 12, 'globex').item,
      ],
      next_cursor: null,
    });
    await fixture.whenStable();

    const row = (fixture.nativeElement.querySelector('tbody tr') as HTMLElement).textContent!;
    const chips = [...fixture.nativeElement.querySelectorAll('tbody tr:first-child .chip')].map(
      (chip) => (chip as HTMLElement).textContent,
    );
    expect(row).toContain('s1');
    expect(chips).toEqual(['logo: globex', 'face: presenter', 'logo: acme']);
    expect(
      (fixture.nativeElement.querySelector('[data-testid=gap-fill]') as HTMLElement).textContent,
    ).toContain('Caught up: latest detections of 1 stream reloaded');
    backend.verify();
  });
});
