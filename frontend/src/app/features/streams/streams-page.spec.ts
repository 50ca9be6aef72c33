import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { toStreamCreate } from './new-stream-form';
import type { StreamSummary } from '../../api/contract';
import { STREAMS_PAGE_SIZE, StreamsPage, filterStreams } from './streams-page';

describe('Streams', () => {
  let backend: HttpTestingController;

  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    backend = TestBed.inject(HttpTestingController);
  });

  it('builds the create request with only the fields the source kind uses', () => {
    const base = {
      name: ' Match ',
      uri: '/dev/video0',
      loop: true,
      sampleFps: 2,
      detectors: { logo: true, visual: false },
    };
    expect(toStreamCreate({ ...base, kind: 'rtmp' })).toEqual({
      name: 'Match',
      source: { kind: 'rtmp' },
      policy: { sample_fps: 2, detectors: ['logo'] },
    });
    expect(toStreamCreate({ ...base, kind: 'webcam' }).source).toEqual({
      kind: 'webcam',
      uri: '/dev/video0',
    });
    expect(toStreamCreate({ ...base, kind: 'test' }).source).toEqual({ kind: 'test', loop: true });
  });

  it('lists streams with their status and source kind', async () => {
    const fixture = TestBed.createComponent(StreamsPage);
    await fixture.whenStable();
    backend
      .expectOne((r) => r.url === '/api/streams')
      .flush([
        {
          id: 's1',
          name: 'Final',
          status: 'live',
          source: { kind: 'rtmp' },
          policy: { detectors: ['logo'], sample_fps: 2 },
        },
        {
          id: 's2',
          name: 'Replay',
          status: 'stopped',
          source: { kind: 'file', uri: '/m.mp4' },
          policy: {},
        },
      ]);
    await fixture.whenStable();
    const rows = [...fixture.nativeElement.querySelectorAll('tbody tr')].map((row) =>
      (row as HTMLElement).textContent!.replace(/\s+/g, ' '),
    );
    expect(rows[0]).toContain('Final');
    expect(rows[0]).toContain('live');
    expect(rows[1]).toContain('file /m.mp4');
  });

  it('shows the RTMP URL and the stream key after creating a stream', async () => {
    const fixture = TestBed.createComponent(StreamsPage);
    await fixture.whenStable();
    backend.expectOne((r) => r.url === '/api/streams').flush([]);
    const form = fixture.nativeElement as HTMLElement;
    const name = form.querySelector('[data-testid=stream-name]') as HTMLInputElement;
    name.value = 'Derby';
    name.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    (form.querySelector('[data-testid=create-stream]') as HTMLButtonElement).click();
    const create = backend.expectOne({ method: 'POST', url: '/api/streams' });
    expect(create.request.body.name).toBe('Derby');
    create.flush({
      id: 's9',
      name: 'Derby',
      status: 'idle',
      source: { kind: 'rtmp' },
      policy: {},
      stream_key: 'sk_123',
      rtmp_url: 'rtmp://127.0.0.1:1935/live',
      publish_url: 'rtmp://127.0.0.1:1935/live/sk_123',
    });
    await fixture.whenStable();
    expect(form.querySelector('[data-testid=stream-key]')!.textContent).toBe('sk_123');
    expect(form.querySelector('[data-testid=publish-url]')!.textContent).toBe(
      'rtmp://127.0.0.1:1935/live/sk_123',
    );
  });

  it('shows an API error as a message, not a blank page', async () => {
    const fixture = TestBed.createComponent(StreamsPage);
    await fixture.whenStable();
    backend
      .expectOne('/api/streams')
      .flush(
        { detail: 'database unavailable' },
        { status: 503, statusText: 'Service Unavailable' },
      );
    await fixture.whenStable();
    expect(fixture.nativeElement.querySelector('[role=alert]').textContent).toContain(
      'database unavailable (HTTP 503)',
    );
  });

  it('filters, pages, archives a finished stream and shows archived ones on request', async () => {
    const fixture = TestBed.createComponent(StreamsPage);
    await fixture.whenStable();
    const many = Array.from({ length: STREAMS_PAGE_SIZE + 5 }, (_, i) => ({
      id: `s${i}`,
      name: i === 3 ? 'Cup final' : `Camera ${i}`,
      status: i === 0 ? 'live' : 'stopped',
      source: { kind: 'rtmp' },
      policy: {},
      archived_at: null,
    }));
    const first = backend.expectOne((r) => r.url === '/api/streams');
    expect(first.request.params.has('archived')).toBe(false);
    first.flush(many);
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    const rows = () => page.querySelectorAll('tbody tr').length;
    expect(rows()).toBe(STREAMS_PAGE_SIZE);
    // A stream on air cannot be archived; a stopped one can.
    expect(page.querySelector('[aria-label="Archive Camera 0"]')).toBeNull();
    expect(page.querySelector('[aria-label="Archive Camera 1"]')).not.toBeNull();
    expect(page.querySelector('[data-testid=streams-pager]')!.textContent).toContain('1–25 of 30');
    const [, next] = [...page.querySelectorAll('[data-testid=streams-pager] button')];
    (next as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(rows()).toBe(5);

    const filter = page.querySelector('[data-testid=streams-filter]') as HTMLInputElement;
    filter.value = 'cup';
    filter.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(rows()).toBe(1); // back on the first page of what matches
    expect(page.querySelector('[data-testid=streams-pager]')).toBeNull();
    const archive = page.querySelector('[aria-label="Archive Cup final"]') as HTMLButtonElement;
    archive.click();
    const patch = backend.expectOne('/api/streams/s3');
    expect(patch.request.body).toEqual({ archived: true });
    patch.flush({ ...many[3], archived_at: '2026-12-05T12:00:00Z' });
    await fixture.whenStable();
    expect(page.textContent).toContain('No stream matches "cup"');
    expect(filterStreams(many as StreamSummary[], 'live').map((s) => s.id)).toEqual(['s0']);

    const archived = page.querySelector('[data-testid=streams-archived]') as HTMLInputElement;
    archived.checked = true;
    archived.dispatchEvent(new Event('change'));
    const all = backend.expectOne((r) => r.url === '/api/streams');
    expect(all.request.params.get('archived')).toBe('true');
    all.flush([{ ...many[3], archived_at: '2026-12-05T12:00:00Z' }]);
    await fixture.whenStable();
    expect(page.querySelector('tbody')!.textContent).toContain('archived');
    expect(page.querySelector('tbody')!.textContent).toContain('Restore');
  });
});
